import { defineMessages, useT } from "../../i18n";

// The deployer's statuses (quickon_common.contracts.deploy.ServiceStatus); one it adds later shows as it is.
export const STATUSES = ["installing", "running", "degraded", "stopped", "upgrading", "rolling_back", "failed", "uninstalling"] as const;

export const statusMessages = defineMessages({
  en: {
    installing: "Installing",
    running: "Running",
    degraded: "Degraded",
    stopped: "Stopped",
    upgrading: "Upgrading",
    rolling_back: "Rolling back",
    failed: "Failed",
    uninstalling: "Uninstalling",
  },
  "zh-CN": {
    installing: "安装中",
    running: "运行中",
    degraded: "部分异常",
    stopped: "已停止",
    upgrading: "升级中",
    rolling_back: "回滚中",
    failed: "失败",
    uninstalling: "卸载中",
  },
});

type Known = (typeof STATUSES)[number];
const isKnown = (status: string): status is Known => (STATUSES as readonly string[]).includes(status);

export function useStatusLabel(): (status: string) => string {
  const t = useT(statusMessages);
  return (status) => (isKnown(status) ? t(status) : status);
}

/** A status in words, coloured when it is plainly good or bad (the word carries it too, never the colour alone). */
export function Status({ status }: { status: string }) {
  const label = useStatusLabel();
  const tone = status === "running" ? "status-ok" : status === "failed" || status === "degraded" ? "status-bad" : undefined;
  return <span className={tone}>{label(status)}</span>;
}
