import { useState } from "react";

import { defineMessages, useT } from "../../i18n";
import { ErrorNote } from "../../ui/ErrorNote";
import { TypedConfirm } from "../../ui/TypedConfirm";
import { useCommand } from "./command";
import type { ServiceDetail, Started } from "./data";

const messages = defineMessages({
  en: {
    uninstall: "Uninstall",
    warning: "Uninstalling removes {name} and its workloads. Its volumes (its data) stay unless you delete them too.",
    deleteVolumes: "Also delete its volumes (its data cannot be brought back, except from a backup)",
  },
  "zh-CN": {
    uninstall: "卸载",
    warning: "卸载会删除 {name} 及其工作负载。其存储卷（数据）会保留，除非你同时删除。",
    deleteVolumes: "同时删除其存储卷（数据将无法恢复，除非有备份）",
  },
});

/** Uninstall, once the service's name is typed; its volumes stay unless the user asks otherwise. */
export function Uninstall({ service, started, onCancel }: { service: ServiceDetail; started: (op: Started) => void; onCancel: () => void }) {
  const t = useT(messages);
  const [deleteVolumes, setDeleteVolumes] = useState(false);
  const command = useCommand(service.service, service.namespace, started);
  return (
    <TypedConfirm
      name={service.service}
      action={t("uninstall")}
      busy={command.isPending}
      onCancel={onCancel}
      onConfirm={() => command.mutate({ tail: "", method: "DELETE", params: deleteVolumes ? "delete_volumes=true" : "" })}
    >
      <p>{t("warning", { name: service.service })}</p>
      <label className="inline">
        <input type="checkbox" checked={deleteVolumes} onChange={(e) => setDeleteVolumes(e.target.checked)} />
        {t("deleteVolumes")}
      </label>
      <ErrorNote error={command.error} />
    </TypedConfirm>
  );
}
