// Filtering the service list on the client: the whole list is fetched once (1,000 services are ~200 KB),
// so a keystroke costs a pass over memory, not a round trip. Pure, so it is tested beside (filter.test.ts).
import type { ServiceSummary } from "./data";

export interface ServiceFilter {
  text: string;
  team: string; // "" for every team
  status: string; // "" for every status
}

export const NO_FILTER: ServiceFilter = { text: "", team: "", status: "" };

/** A predicate for ``filter``, built once per filter: the text is lowered and split once, not per row. */
export function matcher(filter: ServiceFilter): (service: ServiceSummary) => boolean {
  const words = filter.text.toLowerCase().split(/\s+/).filter(Boolean);
  const { team, status } = filter;
  return (service) => {
    if (team && service.team !== team) return false;
    if (status && service.status !== status) return false;
    if (!words.length) return true;
    const haystack = `${service.service} ${service.namespace} ${service.app} ${service.version ?? ""} ${service.team ?? ""}`.toLowerCase();
    return words.every((word) => haystack.includes(word));
  };
}

/** The distinct values of one field, sorted, for the filter's choices. */
export function choices(services: ServiceSummary[], field: "team" | "status"): string[] {
  const seen = new Set<string>();
  for (const service of services) {
    const value = service[field];
    if (value) seen.add(value);
  }
  return [...seen].sort();
}
