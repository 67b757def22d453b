/** The short form of a CloudEvents type for people (io.quickon.deploy.service.installed.v1 →
 * deploy.service.installed); the full one stays in the element's title and details. */
export function shortType(type: string | undefined | null): string {
  if (!type) return "";
  return type.replace(/^io\.quickon\./, "").replace(/\.v\d+$/, "");
}
