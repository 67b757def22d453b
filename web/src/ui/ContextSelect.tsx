import { defineMessages, useT } from "../i18n";

// The platform's event contexts, as the contracts registry has them (quickon_common.contracts.REGISTRY;
// the gateway refuses any other with 422 and offers no list of its own). The audit and activity pages
// filter by them; tests/e2e/console/test_console_audit.py checks this list against the registry.
export const CONTEXTS = ["audit", "backup", "deploy", "iam", "market", "monitor"] as const;
export type Context = (typeof CONTEXTS)[number];

const messages = defineMessages({
  en: {
    all: "All contexts",
    audit: "Audit",
    backup: "Backups",
    deploy: "Deployments",
    iam: "Users and access",
    market: "Market",
    monitor: "Monitoring",
  },
  "zh-CN": {
    all: "全部上下文",
    audit: "审计",
    backup: "备份",
    deploy: "部署",
    iam: "用户与权限",
    market: "应用市场",
    monitor: "监控",
  },
});

/** A choice of one context (or all). ``withIam``: the iam context is only ever shown to platform admins. */
export function ContextSelect(props: { id: string; value: string; onChange: (context: string) => void; withIam: boolean }) {
  const t = useT(messages);
  return (
    <select id={props.id} value={props.value} onChange={(e) => props.onChange(e.target.value)}>
      <option value="">{t("all")}</option>
      {CONTEXTS.filter((c) => props.withIam || c !== "iam").map((c) => (
        <option key={c} value={c}>
          {t(c)} ({c})
        </option>
      ))}
    </select>
  );
}
