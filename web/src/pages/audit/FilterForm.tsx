import { type FormEvent, useEffect, useId, useState } from "react";

import { useAuth } from "../../auth";
import { useT } from "../../i18n";
import { ContextSelect } from "../../ui/ContextSelect";
import type { FilterName, Filters } from "./filters";
import { messages } from "./messages";

const TEXT_FIELDS: FilterName[] = ["actor", "team", "service", "type"];

/** The search form: applied on Search (not on each key), so the log is asked once per search. */
export function FilterForm({ value, onApply }: { value: Filters; onApply: (filters: Filters) => void }) {
  const t = useT(messages);
  const { me } = useAuth();
  const id = useId();
  const [draft, setDraft] = useState<Filters>(value);
  useEffect(() => setDraft(value), [value]);
  const set = (name: FilterName) => (text: string) => setDraft((previous) => ({ ...previous, [name]: text }));

  function submit(event: FormEvent) {
    event.preventDefault();
    onApply(draft);
  }

  return (
    <form role="search" aria-label={t("filters")} onSubmit={submit} className="card filters">
      <div className="filter-grid">
        {TEXT_FIELDS.map((name) => (
          <label key={name}>
            {t(name)}
            <input
              name={name}
              value={draft[name] ?? ""}
              onChange={(e) => set(name)(e.target.value)}
              placeholder={name === "type" ? t("typeHint") : undefined}
              autoComplete="off"
            />
          </label>
        ))}
        <label htmlFor={`${id}-context`}>
          {t("context")}
          <ContextSelect id={`${id}-context`} value={draft.context ?? ""} onChange={set("context")} withIam={Boolean(me?.is_admin)} />
        </label>
        <label>
          {t("since")}
          <input type="datetime-local" name="since" value={draft.since ?? ""} onChange={(e) => set("since")(e.target.value)} />
        </label>
        <label>
          {t("until")}
          <input type="datetime-local" name="until" value={draft.until ?? ""} onChange={(e) => set("until")(e.target.value)} />
        </label>
      </div>
      <div className="actions">
        <button type="submit">{t("search")}</button>
        <button type="button" className="secondary" onClick={() => onApply({})}>
          {t("clear")}
        </button>
      </div>
    </form>
  );
}
