import { useState } from "react";

import { defineMessages, useFormat, useT } from "../../i18n";
import { ErrorNote } from "../../ui/ErrorNote";
import { useCommand } from "./command";
import type { ServiceDetail, Started } from "./data";

const messages = defineMessages({
  en: {
    title: "Revisions",
    revision: "Revision",
    version: "Version",
    operation: "Made by",
    outcome: "Outcome",
    actor: "Who",
    at: "When",
    current: "(current)",
    rollBack: "Roll back",
    rollBackTo: "Roll back to revision {revision} ({version})? The service restarts on it; its data stays.",
    confirm: "Roll back now",
    cancel: "Cancel",
    none: "No revision yet.",
  },
  "zh-CN": {
    title: "修订版本",
    revision: "修订版本",
    version: "版本",
    operation: "来源操作",
    outcome: "结果",
    actor: "操作人",
    at: "时间",
    current: "（当前）",
    rollBack: "回滚",
    rollBackTo: "回滚到修订版本 {revision}（{version}）？服务将以该版本重启，数据保留。",
    confirm: "立即回滚",
    cancel: "取消",
    none: "还没有修订版本。",
  },
});

/** The service's release revisions, newest first; operators may roll back to any earlier one, once they have
 * said so a second time in the row (a rollback restarts the service). */
export function Revisions(props: { service: ServiceDetail; mayRollBack: boolean; started: (op: Started) => void; busy: boolean }) {
  const { service, mayRollBack, busy } = props;
  const t = useT(messages);
  const format = useFormat();
  const command = useCommand(service.service, service.namespace, props.started);
  const revisions = [...service.revisions].reverse();
  const [asked, setAsked] = useState<number | null>(null);
  return (
    <section aria-labelledby="revisions-title">
      <h2 id="revisions-title">{t("title")}</h2>
      <ErrorNote error={command.error} />
      {revisions.length ? (
        <table aria-labelledby="revisions-title">
          <thead>
            <tr>
              <th scope="col">{t("revision")}</th>
              <th scope="col">{t("version")}</th>
              <th scope="col">{t("operation")}</th>
              <th scope="col">{t("outcome")}</th>
              <th scope="col">{t("actor")}</th>
              <th scope="col">{t("at")}</th>
              {mayRollBack ? <td /> : null}
            </tr>
          </thead>
          <tbody>
            {revisions.map((r) => {
              const current = r.revision === service.revision;
              return (
                <tr key={r.revision}>
                  <td>
                    {r.revision} {current ? t("current") : null}
                  </td>
                  <td>{r.version ?? "—"}</td>
                  <td>{r.operation ?? "—"}</td>
                  <td>{r.description ? `${r.outcome ?? ""} ${r.description}`.trim() : (r.outcome ?? "—")}</td>
                  <td>{r.actor ?? "—"}</td>
                  <td>{format.date(r.created_at)}</td>
                  {mayRollBack ? (
                    <td>
                      {current ? null : asked === r.revision ? (
                        <span role="group" aria-label={t("rollBack")}>
                          {t("rollBackTo", { revision: r.revision, version: r.version ?? "—" })}{" "}
                          <button type="button" disabled={busy || command.isPending} onClick={() => { setAsked(null); command.mutate({ tail: "/rollback", body: { revision: r.revision } }); }}>
                            {t("confirm")}
                          </button>{" "}
                          <button type="button" className="secondary" onClick={() => setAsked(null)}>
                            {t("cancel")}
                          </button>
                        </span>
                      ) : (
                        <button type="button" className="secondary" disabled={busy || command.isPending} onClick={() => setAsked(r.revision)}>
                          {t("rollBack")}
                        </button>
                      )}
                    </td>
                  ) : null}
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : (
        <p>{t("none")}</p>
      )}
    </section>
  );
}
