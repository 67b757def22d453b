import { defineMessages } from "../../i18n";

export const messages = defineMessages({
  en: {
    title: "Operations",
    detailTitle: "Operation: {kind} {target}",
    filter: "State",
    all: "All states",
    none: "No operation yet.",
    noneInState: "No operation in this state.",
    started: "Started",
    kind: "Kind",
    target: "Target",
    state: "State",
    actor: "By",
    team: "Team",
    finished: "Finished",
    back: "All operations",
    openService: "Open the service {name}",
    reason: "Why it failed",
    inNamespace: "{service} in {namespace}",
    repository: "repository {name}",
    "state.pending": "Pending",
    "state.running": "Running",
    "state.succeeded": "Succeeded",
    "state.failed": "Failed",
    "kind.install": "Install",
    "kind.upgrade": "Upgrade",
    "kind.rollback": "Roll back",
    "kind.start": "Start",
    "kind.stop": "Stop",
    "kind.restart": "Restart",
    "kind.uninstall": "Uninstall",
    "kind.expose": "Change access",
    "kind.add_repository": "Add repository",
    "kind.refresh_repository": "Refresh repository",
    "kind.remove_repository": "Remove repository",
    "kind.backup": "Back up",
    "kind.restore": "Restore",
    "kind.verify_backup": "Verify backup",
    "kind.delete_backup": "Delete backup",
    "kind.schedule_backups": "Schedule backups",
  },
  "zh-CN": {
    title: "操作记录",
    detailTitle: "操作：{kind} {target}",
    filter: "状态",
    all: "全部状态",
    none: "还没有任何操作。",
    noneInState: "没有处于此状态的操作。",
    started: "开始时间",
    kind: "类型",
    target: "对象",
    state: "状态",
    actor: "操作人",
    team: "团队",
    finished: "结束时间",
    back: "全部操作",
    openService: "打开服务 {name}",
    reason: "失败原因",
    inNamespace: "{namespace} 中的 {service}",
    repository: "仓库 {name}",
    "state.pending": "等待中",
    "state.running": "进行中",
    "state.succeeded": "成功",
    "state.failed": "失败",
    "kind.install": "安装",
    "kind.upgrade": "升级",
    "kind.rollback": "回滚",
    "kind.start": "启动",
    "kind.stop": "停止",
    "kind.restart": "重启",
    "kind.uninstall": "卸载",
    "kind.expose": "修改访问设置",
    "kind.add_repository": "添加仓库",
    "kind.refresh_repository": "刷新仓库",
    "kind.remove_repository": "移除仓库",
    "kind.backup": "备份",
    "kind.restore": "恢复",
    "kind.verify_backup": "校验备份",
    "kind.delete_backup": "删除备份",
    "kind.schedule_backups": "定时备份",
  },
});

type Key = keyof (typeof messages)["en"];
type T = (key: Key, vars?: Record<string, string | number>) => string;

/** A kind or state in the user's language (the gateway's own word for one we do not know yet). */
export function labelOf(t: T, prefix: "kind" | "state", value: string): string {
  const key = `${prefix}.${value}` as Key;
  return key in messages.en ? t(key) : value;
}

/** What an operation acts on, in words. */
export function targetOf(t: T, target: { service?: string | null; namespace?: string | null; repository?: string | null }): string {
  if (target.service) return target.namespace ? t("inNamespace", { service: target.service, namespace: target.namespace }) : target.service;
  if (target.repository) return t("repository", { name: target.repository });
  return "—";
}
