import { useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { Link } from "react-router";

import { api } from "../../../api";
import { useT } from "../../../i18n";
import type { Operation } from "../../../operations";
import { ErrorNote } from "../../../ui/ErrorNote";
import { OperationProgress } from "../../../ui/OperationProgress";
import { TypedConfirm } from "../../../ui/TypedConfirm";
import type { useCommand } from "./command";
import { type Backup, backupPath, backupsKey, type May, type ServiceRef } from "./data";
import { messages } from "./messages";

export type Action = "verify" | "restore" | "delete";

interface Props {
  service: ServiceRef;
  backup: Backup;
  action: Action;
  command: ReturnType<typeof useCommand>;
  may: May;
  onClose: () => void;
}

/** The panel under the list for what the user chose to do with one backup: a verification's plain result,
 * a restore's choice (in place, confirmed by typing the service's name; or as a new service), a deletion's
 * confirmation; then the command's operation, followed live. */
export function BackupAction({ service, backup, action, command, may, onClose }: Props) {
  const t = useT(messages);
  const client = useQueryClient();
  const heading = useId();
  const [outcome, setOutcome] = useState<Operation | null>(null);
  const ended = (operation: Operation) => {
    setOutcome(operation);
    void client.invalidateQueries({ queryKey: backupsKey(service) });
  };
  const id = backup.backup_id;
  const title = action === "verify" ? t("verifyOf", { id }) : action === "restore" ? t("restoreOf", { id }) : t("deleteOf", { id });
  const started = command.busy || command.operation !== null;
  return (
    <section aria-labelledby={heading} className="dialog">
      <h3 id={heading}>{title}</h3>
      {action === "restore" && !started && (
        <RestoreChoice service={service} backup={backup} may={may} onCancel={onClose} onRestore={(body) => command.run(() => api.post<Operation>(backupPath(id, "/restore"), body))} />
      )}
      {action === "delete" && !started && (
        <>
          <p>{t("deleteWarning")}</p>
          <div className="actions">
            <button type="button" className="danger" onClick={() => command.run(() => api.delete<Operation>(backupPath(id)))}>
              {t("delete")}
            </button>
            <button type="button" className="secondary" onClick={onClose}>
              {t("cancel")}
            </button>
          </div>
        </>
      )}
      <ErrorNote error={command.error} />
      {command.operation && <OperationProgress id={command.operation} onEnded={ended} />}
      {outcome && action === "verify" && <VerifyResult id={id} operation={outcome} />}
      {outcome?.state === "succeeded" && action === "restore" && outcome.target.service && outcome.target.service !== service.name && (
        <p className="status-ok">
          {t("restoredAs", { name: outcome.target.service })}{" "}
          <Link to={`/services/${encodeURIComponent(outcome.target.service)}`}>{t("openService", { name: outcome.target.service })}</Link>
        </p>
      )}
    </section>
  );
}

function VerifyResult({ id, operation }: { id: string; operation: Operation }) {
  const t = useT(messages);
  if (operation.state === "succeeded") {
    const parts = Number(operation.result?.parts_checked ?? 0);
    return <p className="status-ok verify-result">{t("verified", { id, parts })}</p>;
  }
  return <p className="status-bad verify-result">{t("verifyFailed", { id, reason: operation.error?.reason ?? "" })}</p>;
}

type RestoreBody = { as?: string };

/** In place (operators; the typed name confirms that its data is replaced) or as a new service (admins). */
function RestoreChoice(props: { service: ServiceRef; backup: Backup; may: May; onCancel: () => void; onRestore: (body: RestoreBody) => void }) {
  const t = useT(messages);
  const asNewAllowed = props.may("admin");
  const [how, setHow] = useState<"in-place" | "as-new">(asNewAllowed ? "as-new" : "in-place");
  const [newName, setNewName] = useState("");
  const nameId = useId();
  const hintId = useId();
  const name = props.service.name;
  return (
    <>
      <fieldset>
        <legend>{t("restoreHow")}</legend>
        <label className="choice">
          <input type="radio" name="how" checked={how === "in-place"} onChange={() => setHow("in-place")} />
          {t("inPlace", { name })}
        </label>
        {asNewAllowed && (
          <label className="choice">
            <input type="radio" name="how" checked={how === "as-new"} onChange={() => setHow("as-new")} />
            {t("asNew")}
          </label>
        )}
      </fieldset>
      {how === "in-place" ? (
        <>
          <p>{t("replaces", { name })}</p>
          <TypedConfirm name={name} action={t("restoreInPlace")} onConfirm={() => props.onRestore({})} onCancel={props.onCancel} />
        </>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            props.onRestore({ as: newName.trim() });
          }}
        >
          <label htmlFor={nameId}>{t("newName")}</label>
          <input id={nameId} value={newName} onChange={(e) => setNewName(e.target.value)} required autoComplete="off" aria-describedby={hintId} />
          <p id={hintId} className="hint">
            {t("newNameHint")}
          </p>
          <div className="actions">
            <button type="submit" disabled={!newName.trim()}>
              {t("restoreAsNew")}
            </button>
            <button type="button" className="secondary" onClick={props.onCancel}>
              {t("cancel")}
            </button>
          </div>
        </form>
      )}
    </>
  );
}
