import { useState } from "react";

import { api } from "../../../api";
import type { Operation } from "../../../operations";

import { useFormat, useT } from "../../../i18n";
import { Busy } from "../../../ui/Busy";
import { ErrorNote } from "../../../ui/ErrorNote";
import { BackupAction, type Action } from "./BackupAction";
import { backupPath, type Backup, type May, type ServiceRef, useBackups } from "./data";
import { useCommand } from "./command";
import { messages } from "./messages";

/** The backups, newest first: when, size, trigger, state, and what the user may do with each. */
export function BackupList({ service, may }: { service: ServiceRef; may: May }) {
  const t = useT(messages);
  const format = useFormat();
  const backups = useBackups(service);
  const [chosen, setChosen] = useState<{ backup: Backup; action: Action; time: number } | null>(null);
  // One command at a time from the list: choosing another action forgets the previous one's progress.
  const command = useCommand();
  const choose = (backup: Backup, action: Action) => {
    command.reset();
    setChosen({ backup, action, time: Date.now() }); // a new panel each time, even for the same choice
    if (action === "verify") command.run(() => api.post<Operation>(backupPath(backup.backup_id, "/verify")));
  };
  if (backups.isPending) return <Busy label={t("loadingBackups")} />;
  if (backups.isError) return <ErrorNote error={backups.error} />;
  const known = (prefix: "trigger" | "status", value: string) => {
    const key = `${prefix}.${value}` as Parameters<typeof t>[0];
    return key in messages.en ? t(key) : value;
  };
  const offered = (backup: Backup): Action[] => {
    if (backup.status === "deleted" || backup.status === "running") return [];
    const actions: Action[] = [];
    if (backup.status === "completed" && may("operator")) actions.push("verify", "restore");
    if (may("admin")) actions.push("delete");
    return actions;
  };
  const anyActions = backups.data.some((b) => offered(b).length > 0);
  return (
    <>
      {backups.data.length === 0 ? (
        <p>{t("none")}</p>
      ) : (
        <table>
          <caption className="visually-hidden">{t("listCaption", { name: service.name })}</caption>
          <thead>
            <tr>
              <th scope="col">{t("when")}</th>
              <th scope="col">{t("size")}</th>
              <th scope="col">{t("trigger")}</th>
              <th scope="col">{t("state")}</th>
              {anyActions && <th scope="col">{t("actions")}</th>}
            </tr>
          </thead>
          <tbody>
            {backups.data.map((backup) => (
              <tr key={backup.backup_id} data-backup={backup.backup_id}>
                <td>
                  <time dateTime={backup.created_at ?? undefined}>{format.date(backup.created_at)}</time>
                </td>
                <td>{backup.size_bytes == null ? "—" : format.bytes(backup.size_bytes)}</td>
                <td>{known("trigger", backup.trigger)}</td>
                <td>
                  <span className={backup.status === "failed" ? "status-bad" : backup.status === "completed" ? "status-ok" : ""}>
                    {known("status", backup.status)}
                  </span>
                  {backup.reason && backup.status === "failed" ? <span>: {backup.reason}</span> : null}
                  {backup.verified_at ? <span> · {t("verifiedAt", { date: format.date(backup.verified_at) })}</span> : null}
                </td>
                {anyActions && (
                  <td>
                    <div className="actions inline">
                      {offered(backup).map((action) => (
                        <button
                          key={action}
                          type="button"
                          className={action === "delete" ? "danger" : "secondary"}
                          onClick={() => choose(backup, action)}
                        >
                          {t(action)}
                        </button>
                      ))}
                    </div>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {chosen && (
        <BackupAction
          key={chosen.time}
          service={service}
          backup={chosen.backup}
          action={chosen.action}
          command={command}
          may={may}
          onClose={() => setChosen(null)}
        />
      )}
    </>
  );
}
