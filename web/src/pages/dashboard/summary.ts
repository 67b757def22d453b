// The dashboard's data and arithmetic, kept apart from the cards so it can be tested: the statuses in the
// order a reader scans them, and how full a resource is.
import { formatNumber, type Locale } from "../../i18n";

export interface ServiceSummary {
  service: string;
  namespace: string;
  team?: string | null;
  app: string;
  version?: string | null;
  status: string;
  status_reason?: string | null;
  updated_at?: string | null;
}

export interface Usage {
  requested: number;
  capacity: number | null;
}

export interface ClusterResources {
  runtime: string;
  nodes: number;
  nodes_ready: number;
  cpu: Usage; // millicores
  memory: Usage; // bytes
  storage: Usage; // bytes
}

/** GET /overview: what the dashboard shows, counted by the gateway whatever the number of services. */
export interface Overview {
  services: { total: number; by_status: Record<string, number>; newest: ServiceSummary[] };
  resources: ClusterResources;
}

// The usual statuses first, in the order a reader scans for trouble; any other after them, by name.
const ORDER = ["running", "degraded", "failed", "installing", "upgrading", "stopped"];

/** The counts by status, the usual statuses first (the first three shown even at 0), others after by name. */
export function statusCounts(byStatus: Record<string, number>): [string, number][] {
  const counts = new Map<string, number>(ORDER.slice(0, 3).map((s) => [s, 0]));
  for (const [status, count] of Object.entries(byStatus)) counts.set(status, count);
  const rank = (status: string) => (ORDER.includes(status) ? ORDER.indexOf(status) : ORDER.length);
  return [...counts.entries()].sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}

/** The share of ``usage``'s capacity requested, 0–100 (null when the capacity is not known). */
export function percent(usage: Usage): number | null {
  if (!usage.capacity) return null;
  return Math.min(100, Math.round((usage.requested / usage.capacity) * 100));
}

/** Millicores as cores, for people: 1500 → "1.5". */
export function cores(millicores: number, locale: Locale): string {
  return formatNumber(millicores / 1000, locale, 2);
}
