import { defineMessages, useT } from "../../i18n";
import { addressOf } from "./address";
import type { ServiceDetail } from "./data";

const messages = defineMessages({
  en: {
    title: "How to reach it",
    at: "It is published at",
    inside: "No public address is set. Inside the cluster it answers at its Kubernetes Service in namespace {namespace} (named after {name}); to publish it, give it a domain in its Access tab.",
  },
  "zh-CN": {
    title: "访问方式",
    at: "对外地址",
    inside: "尚未设置对外地址。在集群内，可通过命名空间 {namespace} 中以 {name} 命名的 Kubernetes Service 访问；如需对外发布，请在“访问”页添加域名。",
  },
});

/** Where the service answers: the address QuickOn gives it (its domains, the platform's base domain), else one
 * its values give, else how to reach it inside the cluster. */
export function Reach({ service }: { service: ServiceDetail }) {
  const t = useT(messages);
  const url = service.urls?.[0] ?? addressOf(service.values);
  return (
    <section aria-labelledby="reach-title">
      <h2 id="reach-title">{t("title")}</h2>
      {url ? (
        <p>
          {t("at")}{" "}
          <a href={url} target="_blank" rel="noreferrer">
            {url}
          </a>
        </p>
      ) : (
        <p>{t("inside", { namespace: service.namespace, name: service.service })}</p>
      )}
    </section>
  );
}
