// Alerts counted and ordered for people: by severity, the worst first, and the newest first. Pure, shared by
// the alerts page and the dashboard's card (which is in the first page's code: keep this small).
import type { Alert } from "./types";

const ORDER = ["critical", "warning", "info"];

/** Where a severity sorts: the known ones in ORDER, any other after them. */
export function severityRank(severity: string): number {
  const found = ORDER.indexOf(severity);
  return found < 0 ? ORDER.length : found;
}

/** How many alerts of each severity: the three known ones always (0 included), worst first, any other after. */
export function countBySeverity(alerts: Pick<Alert, "severity">[]): [string, number][] {
  const counts = new Map<string, number>(ORDER.map((s) => [s, 0]));
  for (const alert of alerts) counts.set(alert.severity, (counts.get(alert.severity) ?? 0) + 1);
  return [...counts.entries()].sort(([a], [b]) => severityRank(a) - severityRank(b) || a.localeCompare(b));
}

/** When an alert started to matter: when it fired, else when its condition first held. */
export function startedAt(alert: Pick<Alert, "fired_at" | "active_at">): string | null {
  return alert.fired_at ?? alert.active_at ?? null;
}

/** The ``count`` newest alerts, the worst first among those that started at the same moment. */
export function newest<A extends Pick<Alert, "fired_at" | "active_at" | "severity">>(alerts: A[], count: number): A[] {
  const time = (alert: A) => Date.parse(startedAt(alert) ?? "") || 0;
  return [...alerts].sort((a, b) => time(b) - time(a) || severityRank(a.severity) - severityRank(b.severity)).slice(0, count);
}
