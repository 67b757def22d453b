// The dashboard's arithmetic, kept apart from the cards so it can be tested: services counted by status,
// the newest installed apps, and how full a resource is.

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

// The usual statuses first, in the order a reader scans for trouble; any other after them, by name.
const ORDER = ["running", "degraded", "failed", "installing", "upgrading", "stopped"];

/** How many services have each status, the known statuses first (each shown, even at 0), others after. */
export function countByStatus(services: ServiceSummary[]): [string, number][] {
  const counts = new Map<string, number>(ORDER.slice(0, 3).map((s) => [s, 0]));
  for (const { status } of services) counts.set(status, (counts.get(status) ?? 0) + 1);
  const rank = (status: string) => (ORDER.includes(status) ? ORDER.indexOf(status) : ORDER.length);
  return [...counts.entries()].sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}

/** The ``count`` services changed most recently. */
export function newest(services: ServiceSummary[], count: number): ServiceSummary[] {
  return [...services].sort((a, b) => (b.updated_at ?? "").localeCompare(a.updated_at ?? "")).slice(0, count);
}

/** The share of ``usage``'s capacity requested, 0–100 (null when the capacity is not known). */
export function percent(usage: Usage): number | null {
  if (!usage.capacity) return null;
  return Math.min(100, Math.round((usage.requested / usage.capacity) * 100));
}

/** Millicores as cores, for people: 1500 → "1.5". */
export function cores(millicores: number, locale: string): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(millicores / 1000);
}
