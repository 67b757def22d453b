import { useMutation } from "@tanstack/react-query";
import { useId, useState } from "react";

import { useT } from "../../i18n";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import { type ExportFormat, exportAudit } from "./download";
import { apiParams, type Filters } from "./filters";
import { messages } from "./messages";

/** Saves every entry matching the current filters as a file (anyone signed in: each sees their own scope). */
export function ExportPanel({ filters }: { filters: Filters }) {
  const t = useT(messages);
  const id = useId();
  const [format, setFormat] = useState<ExportFormat>("jsonl");
  const run = useMutation({ mutationFn: () => exportAudit(apiParams(filters), format) });
  return (
    <section aria-labelledby={`${id}-title`} className="card">
      <h2 id={`${id}-title`}>{t("exportTitle")}</h2>
      <p className="hint">{t("exportHow")}</p>
      <div className="actions">
        <label className="inline">
          {t("format")}
          <select value={format} onChange={(e) => setFormat(e.target.value as ExportFormat)}>
            <option value="jsonl">{t("jsonl")}</option>
            <option value="csv">{t("csv")}</option>
          </select>
        </label>
        <button type="button" disabled={run.isPending} onClick={() => run.mutate()}>
          {t("export")}
        </button>
      </div>
      {run.isPending && <Busy label={t("exporting")} />}
      <ErrorNote error={run.error} />
      {run.data && (
        <p role="status" className={run.data.stoppedEarly ? "error" : "status-ok"}>
          {run.data.stoppedEarly ? t("stoppedEarly", { reason: run.data.stoppedEarly }) : t("exported", { count: run.data.entries })}
        </p>
      )}
    </section>
  );
}
