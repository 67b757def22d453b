import { lazy, Suspense, useState } from "react";

import type { Role } from "../../auth";
import { defineMessages, useT } from "../../i18n";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import { useCommand } from "./command";
import type { ServiceDetail, Started } from "./data";
import { Secrets } from "./Secrets";
import { Uninstall } from "./Uninstall";
import { Upgrade } from "./Upgrade";

// Loaded when first opened: most visits to a service never export it.
const ExportDialog = lazy(() => import("./transfer/ExportDialog"));

const messages = defineMessages({
  en: { actions: "Actions", upgrade: "Upgrade", start: "Start", stop: "Stop", restart: "Restart", export: "Export", uninstall: "Uninstall" },
  "zh-CN": { actions: "操作", upgrade: "升级", start: "启动", stop: "停止", restart: "重启", export: "导出", uninstall: "卸载" },
});

type Open = "upgrade" | "export" | "uninstall" | null;

/** The commands the user may give this service: operators upgrade, start, stop and restart; admins
 * export it, uninstall it and reveal its secrets. Nothing is offered to a viewer. */
export function Actions(props: { service: ServiceDetail; may: (role: Role) => boolean; started: (op: Started) => void; busy: boolean }) {
  const { service, may, busy } = props;
  const t = useT(messages);
  const [open, setOpen] = useState<Open>(null);
  const started = (op: Started) => {
    setOpen(null);
    props.started(op);
  };
  const command = useCommand(service.service, service.namespace, started);
  const operator = may("operator");
  const admin = may("admin");
  if (!operator && !admin) return null;
  const up = service.status === "running" || service.status === "degraded";
  const lifecycle: ("start" | "stop" | "restart")[] =
    service.status === "stopped" ? ["start"] : up ? ["stop", "restart"] : service.status === "failed" ? ["restart"] : [];
  const disabled = busy || command.isPending;
  return (
    <section aria-label={t("actions")}>
      <div className="actions">
        {operator ? (
          <button type="button" onClick={() => setOpen("upgrade")} disabled={disabled} aria-expanded={open === "upgrade"}>
            {t("upgrade")}
          </button>
        ) : null}
        {operator
          ? lifecycle.map((kind) => (
              <button key={kind} type="button" className="secondary" disabled={disabled} onClick={() => command.mutate({ tail: `/${kind}` })}>
                {t(kind)}
              </button>
            ))
          : null}
        {admin ? (
          <button type="button" className="secondary" onClick={() => setOpen("export")} disabled={disabled} aria-expanded={open === "export"}>
            {t("export")}
          </button>
        ) : null}
        {admin ? (
          <button type="button" className="danger" onClick={() => setOpen("uninstall")} disabled={disabled} aria-expanded={open === "uninstall"}>
            {t("uninstall")}
          </button>
        ) : null}
        {admin && service.secret_values.length ? <Secrets service={service} /> : null}
      </div>
      <ErrorNote error={command.error} />
      {open === "upgrade" ? <Upgrade service={service} started={started} onCancel={() => setOpen(null)} /> : null}
      {open === "export" ? (
        <Suspense fallback={<Busy />}>
          <ExportDialog service={service} onClose={() => setOpen(null)} />
        </Suspense>
      ) : null}
      {open === "uninstall" ? <Uninstall service={service} started={started} onCancel={() => setOpen(null)} /> : null}
    </section>
  );
}
