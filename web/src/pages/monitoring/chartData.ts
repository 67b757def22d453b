// Series as uPlot draws them: one x axis shared by every line (the union of their timestamps, in order), each
// line's values on it (null where it has none: a gap, not a zero), and a name for each line from its labels.

import { formatBytes, formatNumber, type Locale } from "../../i18n";
import type { Line, Scope } from "./metrics";

export interface Aligned {
  x: number[];
  lines: { name: string; values: (number | null)[] }[];
}

// The label that tells the lines of a scope apart, in the order worth trying.
const NAMING: Record<Scope, string[]> = {
  node: ["node", "instance"],
  service: ["pod", "container", "service"],
  component: ["component", "service", "job", "instance", "consumer"],
};

/** A line's name: the first telling label its scope has, else its labels as k=v, else "value". */
export function lineName(labels: Record<string, string>, scope: Scope): string {
  for (const key of NAMING[scope]) if (labels[key]) return labels[key]!;
  const pairs = Object.entries(labels)
    .filter(([key]) => key !== "__name__")
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${value}`);
  return pairs.join(", ") || "value";
}

function numberOf(value: number | string | null): number | null {
  if (value === null) return null;
  const number = typeof value === "number" ? value : Number(value);
  return Number.isFinite(number) ? number : null; // Prometheus's "NaN" and "+Inf" draw as gaps
}

export function align(result: Line[], scope: Scope): Aligned {
  const x = [...new Set(result.flatMap((line) => line.points.map(([time]) => time)))].sort((a, b) => a - b);
  const index = new Map(x.map((time, i) => [time, i]));
  const lines = result
    .map((line) => {
      const values: (number | null)[] = new Array(x.length).fill(null);
      for (const [time, value] of line.points) values[index.get(time)!] = numberOf(value);
      return { name: lineName(line.labels, scope), values };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  return { x, lines };
}

/** The newest value of a line (what the text under a chart says), null when it has none. */
export function latest(values: (number | null)[]): number | null {
  for (let i = values.length - 1; i >= 0; i -= 1) if (values[i] !== null) return values[i]!;
  return null;
}

export const RANGES = [900, 3600, 6 * 3600, 24 * 3600, 7 * 86_400];

/** Seconds between points for a range: about 240 points, never under Prometheus's 15 s scrape interval. */
export function stepFor(since: number): number {
  return Math.max(15, Math.round(since / 240 / 15) * 15);
}

/** A value in its unit, for people: bytes in KB/MB/GB, ratios and percents as %, cores, seconds. */
export function formatValue(value: number | null, unit: string, locale: Locale): string {
  if (value === null) return "—";
  const number = (n: number, digits = 2) => formatNumber(n, locale, digits);
  switch (unit) {
    case "bytes":
      return formatBytes(value, locale);
    case "percent":
      return `${number(value, 1)} %`;
    case "ratio":
      return `${number(value * 100, 1)} %`;
    case "seconds":
      return `${number(value)} s`;
    case "":
    case "count":
      return number(value);
    default:
      return `${number(value)} ${unit}`;
  }
}
