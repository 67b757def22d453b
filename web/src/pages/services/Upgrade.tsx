import { useMutation, useQuery } from "@tanstack/react-query";
import { useId, useState } from "react";

import { api, query } from "../../api";
import { defineMessages, useT } from "../../i18n";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import { useCommand } from "./command";
import { type Preview, type ServiceDetail, servicePath, type Started, type VersionSummary } from "./data";
import { UpgradePreview } from "./UpgradePreview";

const messages = defineMessages({
  en: {
    title: "Upgrade {name}",
    version: "Version",
    breaking: "breaking changes",
    security: "security fixes",
    newest: "{version} is the newest version of {app}: there is nothing to upgrade to.",
    backupFirst: "Back up first (the upgrade waits for the backup)",
    preview: "Preview",
    previewing: "Working out what would change…",
    upgrade: "Upgrade",
    cancel: "Cancel",
    loading: "Looking for newer versions…",
  },
  "zh-CN": {
    title: "升级 {name}",
    version: "版本",
    breaking: "含不兼容变更",
    security: "含安全修复",
    newest: "{version} 已是 {app} 的最新版本，无可升级的版本。",
    backupFirst: "先备份（升级会等待备份完成）",
    preview: "预览",
    previewing: "正在计算将发生的变更…",
    upgrade: "升级",
    cancel: "取消",
    loading: "正在查找新版本…",
  },
});

interface Upgrades {
  latest: string;
  newer: VersionSummary[];
}

/** Upgrade in two steps: choose a version and see what it would change (changelog, values, objects),
 * then confirm. The confirm button appears only with the preview of the version chosen. */
export function Upgrade({ service, started, onCancel }: { service: ServiceDetail; started: (op: Started) => void; onCancel: () => void }) {
  const t = useT(messages);
  const id = useId();
  const upgrades = useQuery({
    queryKey: ["upgrades", service.app, service.repository, service.version],
    queryFn: ({ signal }) =>
      api.get<Upgrades>(`/apps/${encodeURIComponent(service.app)}/upgrades${query({ from_version: service.version, repository: service.repository })}`, signal),
    enabled: Boolean(service.version),
  });
  const [chosen, setChosen] = useState<string | null>(null);
  const [backupFirst, setBackupFirst] = useState(true);
  const version = chosen ?? upgrades.data?.latest ?? null;
  const preview = useMutation({
    mutationFn: (target: string) => api.post<Preview>(servicePath(service.service, service.namespace, "/upgrade/preview"), { version: target }),
  });
  const command = useCommand(service.service, service.namespace, started);
  const previewed = preview.data && preview.variables === version ? preview.data : null;
  const newer = upgrades.data?.newer ?? [];

  return (
    <section role="dialog" aria-labelledby={`${id}-title`} className="dialog">
      <h2 id={`${id}-title`}>{t("title", { name: service.service })}</h2>
      {upgrades.isPending && service.version ? <Busy label={t("loading")} /> : null}
      <ErrorNote error={upgrades.error} />
      {upgrades.data && !newer.length ? <p>{t("newest", { version: service.version ?? "", app: service.app })}</p> : null}
      {newer.length ? (
        <>
          <label>
            {t("version")}
            <select
              value={version ?? ""}
              onChange={(e) => {
                setChosen(e.target.value);
                preview.reset();
              }}
            >
              {[...newer].reverse().map((v) => (
                <option key={v.version} value={v.version}>
                  {[v.version, v.breaking ? t("breaking") : "", v.contains_security_updates ? t("security") : ""].filter(Boolean).join(" — ")}
                </option>
              ))}
            </select>
          </label>
          <label className="inline">
            <input type="checkbox" checked={backupFirst} onChange={(e) => setBackupFirst(e.target.checked)} />
            {t("backupFirst")}
          </label>
        </>
      ) : null}
      {preview.isPending ? <Busy label={t("previewing")} /> : null}
      <ErrorNote error={preview.error} />
      {previewed ? <UpgradePreview preview={previewed} /> : null}
      <ErrorNote error={command.error} />
      <div className="actions">
        {version && newer.length && !previewed ? (
          <button type="button" onClick={() => preview.mutate(version)} disabled={preview.isPending}>
            {t("preview")}
          </button>
        ) : null}
        {previewed && version ? (
          <button
            type="button"
            onClick={() => command.mutate({ tail: "/upgrade", body: { version, backup_first: backupFirst } })}
            disabled={command.isPending || previewed.values_valid === false}
          >
            {t("upgrade")}
          </button>
        ) : null}
        <button type="button" className="secondary" onClick={onCancel}>
          {t("cancel")}
        </button>
      </div>
    </section>
  );
}
