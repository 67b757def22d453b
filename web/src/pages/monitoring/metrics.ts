// The one place the console asks for metrics (GET /api/v1/metrics/series and /metrics/query), and the shapes
// it expects; should the gateway's answers differ slightly, only this module changes.
import { useQuery } from "@tanstack/react-query";

import { api, ApiError, query } from "../../api";

export type Scope = "node" | "service" | "component";

/** A series the caller may ask for. */
export interface SeriesInfo {
  name: string;
  unit: string;
  scope: Scope;
  description: string;
}

/** One line of a series: the labels that tell it apart and its points ([unix seconds, value]). */
export interface Line {
  labels: Record<string, string>;
  points: [number, number | string | null][];
}

export interface SeriesData {
  series: string;
  unit: string;
  result: Line[];
}

/** What a series is about, from its name: the gateway's scope says who may ask (``service``: a team's
 * members, ``platform``: platform admins), and its platform series are named node_* and component_*. */
export function aboutOf(name: string): Scope {
  if (name.startsWith("node_")) return "node";
  if (name.startsWith("component_")) return "component";
  return "service";
}

/** The series list of ``{series: [...]}``, each placed by what it is about. */
export function seriesOf(answer: unknown): SeriesInfo[] {
  const list = (answer as { series?: unknown } | null)?.series;
  return (Array.isArray(list) ? list : [])
    .filter((s) => typeof s?.name === "string")
    .map((s) => ({ ...s, scope: aboutOf(s.name) }) as SeriesInfo);
}

export function useSeriesList() {
  return useQuery({
    queryKey: ["metrics", "series"],
    queryFn: async ({ signal }) => seriesOf(await api.get<unknown>("/metrics/series", signal)),
    staleTime: 300_000, // which series there are changes with the platform's version, not by the minute
  });
}

export interface Span {
  since: number; // seconds back from now
  step: number; // seconds between points
}

/** A service of one namespace (a name may be in several of the user's namespaces). */
export interface ServiceRef {
  service: string;
  namespace: string;
}

export function useSeries(name: string, span: Span, of?: ServiceRef) {
  return useQuery({
    queryKey: ["metrics", "query", name, of?.service ?? null, of?.namespace ?? null, span.since, span.step],
    queryFn: ({ signal }) =>
      api.get<SeriesData>(`/metrics/query${query({ series: name, service: of?.service, namespace: of?.namespace, since: span.since, step: span.step })}`, signal),
    refetchInterval: Math.max(span.step, 15) * 1000,
    placeholderData: (previous) => previous, // the chart stays while a new range is asked for
  });
}

/** Why there are no metrics at all, when the gateway says so: no metrics API (404), or Prometheus away (503). */
export function unavailable(error: unknown): "missing" | "unreachable" | null {
  if (!(error instanceof ApiError)) return null;
  if (error.status === 404) return "missing";
  if (error.status === 503) return "unreachable";
  return null;
}
