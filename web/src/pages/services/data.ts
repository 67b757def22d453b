// The services area's server state: the list (every page of it), one service, and its commands. The types
// follow the gateway's answers (GET /api/v1/services, /services/{name}; see docs/gateway-api.md).
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";

import { api, query } from "../../api";
import type { Operation } from "../../operations";

export interface ServiceSummary {
  service: string;
  namespace: string;
  team?: string | null;
  app: string;
  repository?: string | null;
  version?: string | null;
  status: string;
  status_reason?: string | null;
  revision?: number | null;
  operation_id?: string | null;
  created_at?: string | null;
  updated_at?: string | null;
}

export interface Workload {
  kind: string;
  name: string;
  desired: number;
  ready: number;
  updated: number;
}

export interface Pod {
  name: string;
  workload: string;
  phase: string;
  ready: boolean;
  restarts: number;
  reason: string;
  node?: string | null;
}

export interface Health {
  exists: boolean;
  ready: boolean;
  degraded: boolean;
  stopped: boolean;
  pending_reason?: string | null;
  workloads: Workload[];
  pods: Pod[];
  failure?: string | null;
}

export interface Revision {
  revision: number;
  version?: string | null;
  operation?: string | null;
  outcome?: string | null;
  description?: string | null;
  actor?: string | null;
  created_at?: string | null;
}

export interface ServiceDetail extends ServiceSummary {
  values: Record<string, unknown>;
  secret_values: string[];
  health?: Health | string | null;
  revisions: Revision[];
  urls?: string[];
}

export interface ValueChange {
  path: string;
  change: "added" | "removed" | "changed";
  before: unknown;
  after: unknown;
}

export interface ManifestDiff {
  added: string[];
  removed: string[];
  changed: { object: string; paths: string[]; diff: string }[];
  unchanged: number;
}

export interface Change {
  kind?: string;
  description?: string;
}

export interface Preview {
  from_version?: string | null;
  to_version?: string | null;
  changelog: { version: string; changes: (Change | string)[] }[];
  breaking?: boolean | null;
  values_valid?: boolean | null;
  values_errors: unknown[];
  values_diff?: ValueChange[] | null;
  manifest_diff?: ManifestDiff | null;
}

export interface VersionSummary {
  version: string;
  breaking?: boolean | null;
  contains_security_updates?: boolean | null;
}

/** The gateway's most per request; the list asks page after page until one comes back short. */
export const PAGE = 1000;

async function allServices(signal: AbortSignal): Promise<ServiceSummary[]> {
  const services: ServiceSummary[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await api.get<{ services: ServiceSummary[] }>(`/services${query({ limit: PAGE, offset })}`, signal);
    services.push(...page.services);
    if (page.services.length < PAGE) return services;
  }
}

/** Every service the user may see (the gateway keeps to their teams), refreshed every 10 seconds. */
export function useServices() {
  return useQuery({ queryKey: ["services"], queryFn: ({ signal }) => allServices(signal), refetchInterval: 10_000 });
}

/** A service's API path; the namespace is named when known (a name may be in several of the user's namespaces). */
export function servicePath(name: string, namespace?: string | null, tail = ""): string {
  return `/services/${encodeURIComponent(name)}${tail}${query({ namespace })}`;
}

export function useService(name: string, namespace: string | null) {
  return useQuery({
    queryKey: ["service", name, namespace],
    queryFn: ({ signal }) => api.get<ServiceDetail>(servicePath(name, namespace), signal),
    refetchInterval: 5_000,
  });
}

/** What a command (start, upgrade, uninstall…) answers: the operation to follow. */
export type Started = Pick<Operation, "operation_id" | "kind">;

/** Forget what is known of the service and the list, once an operation on it has ended. */
export function useRefresh(name: string, namespace: string | null) {
  const client = useQueryClient();
  return useCallback(() => {
    void client.invalidateQueries({ queryKey: ["service", name, namespace] });
    void client.invalidateQueries({ queryKey: ["services"] });
  }, [client, name, namespace]);
}
