// How to reach a service, when its values say: an enabled Ingress host (https when its TLS is on), or a
// public URL the app is told (gitea.rootUrl, jenkins.url…). Pure; null when nothing says (the charts then
// publish nothing outside the cluster). The addresses QuickOn gives (domains, base domain) come first (Reach).

type Tree = Record<string, unknown>;
const isTree = (value: unknown): value is Tree => typeof value === "object" && value !== null && !Array.isArray(value);
const URL_KEYS = ["rootUrl", "url", "externalUrl", "publicUrl", "baseUrl", "siteUrl"];

export function addressOf(values: Tree): string | null {
  const ingress = values.ingress;
  if (isTree(ingress) && ingress.enabled === true) {
    const host = typeof ingress.host === "string" ? ingress.host : hostOfList(ingress.hosts);
    if (host) return `${isTree(ingress.tls) ? (ingress.tls.enabled === true ? "https" : "http") : ingress.tls ? "https" : "http"}://${host}/`;
  }
  // One level down too: charts group the app's own settings under its name (gitea.rootUrl).
  for (const tree of [values, ...Object.values(values).filter(isTree)]) {
    for (const key of URL_KEYS) {
      const value = tree[key];
      if (typeof value === "string" && /^https?:\/\/[^\s]+$/.test(value)) return value;
    }
  }
  return null;
}

function hostOfList(hosts: unknown): string | null {
  if (!Array.isArray(hosts) || !hosts.length) return null;
  const first: unknown = hosts[0];
  if (typeof first === "string") return first || null;
  return isTree(first) && typeof first.host === "string" && first.host ? first.host : null;
}
