import { useMutation } from "@tanstack/react-query";

import { api } from "../../api";
import { defineMessages, useT } from "../../i18n";
import { ErrorNote } from "../../ui/ErrorNote";
import { type ServiceDetail, servicePath } from "./data";

const messages = defineMessages({
  en: {
    reveal: "Reveal secrets",
    hide: "Hide secrets",
    title: "Secret values of {name}",
    recorded: "This reveal is recorded in the audit log.",
  },
  "zh-CN": {
    reveal: "查看密钥",
    hide: "隐藏密钥",
    title: "{name} 的密钥值",
    recorded: "本次查看已记录在审计日志中。",
  },
});

interface Revealed {
  values: Record<string, unknown>;
  secret_paths: string[];
}

/** Leaves of a values tree as path → value (users[0].password), the way the secret paths name them. */
export function leaves(tree: unknown, prefix = ""): [string, string][] {
  if (Array.isArray(tree)) return tree.flatMap((item, index) => leaves(item, `${prefix}[${index}]`));
  if (typeof tree === "object" && tree !== null) {
    return Object.entries(tree).flatMap(([key, value]) => leaves(value, prefix ? `${prefix}.${key}` : key));
  }
  return [[prefix, String(tree)]];
}

/** Reveal the service's secret values in clear (team admins); kept in this component only, never cached. */
export function Secrets({ service }: { service: ServiceDetail }) {
  const t = useT(messages);
  const reveal = useMutation({
    mutationFn: () => api.get<Revealed>(servicePath(service.service, service.namespace, "/secrets")),
    gcTime: 0,
  });
  if (!reveal.data) {
    return (
      <>
        <button type="button" className="secondary" onClick={() => reveal.mutate()} disabled={reveal.isPending}>
          {t("reveal")}
        </button>
        <ErrorNote error={reveal.error} />
      </>
    );
  }
  return (
    <section aria-label={t("title", { name: service.service })} className="card secrets">
      <p className="hint">{t("recorded")}</p>
      <dl>
        {leaves(reveal.data.values).map(([path, value]) => (
          <div key={path}>
            <dt>
              <code>{path}</code>
            </dt>
            <dd>
              <code>{value}</code>
            </dd>
          </div>
        ))}
      </dl>
      <button type="button" className="secondary" onClick={() => reveal.reset()}>
        {t("hide")}
      </button>
    </section>
  );
}
