// The market's reads (GET /api/v1/apps…).
import { useQuery } from "@tanstack/react-query";
import type { RJSFSchema } from "@rjsf/utils";

import { api, query } from "../../api";
import type { ScanReportData } from "../../ui/ScanReport";

export interface AppSummary {
  id: string;
  repository: string;
  name: string;
  title?: string | null;
  description?: string | null;
  icon?: string | null;
  category?: string | null;
  keywords: string[];
  latest_version?: string | null;
  app_version?: string | null;
  deprecated?: boolean | null;
}

export interface Change {
  kind?: string;
  description?: string;
}

export interface VersionSummary {
  version: string;
  app_version?: string | null;
  created?: string | null;
  deprecated?: boolean | null;
  prerelease?: boolean | null;
  breaking?: boolean | null;
  contains_security_updates?: boolean | null;
  changes: (Change | string)[];
}

export interface AppDetail extends AppSummary {
  home?: string | null;
  version_list: VersionSummary[];
  install_as?: string | null;
}

export interface VersionDetail extends VersionSummary {
  app: string;
  values?: Record<string, unknown> | null;
  schema?: RJSFSchema | null;
  secret_paths: string[];
  readme?: string | null;
}

export function useApps(text: string, category: string) {
  return useQuery({
    queryKey: ["apps", text, category],
    queryFn: ({ signal }) =>
      api.get<{ total: number; apps: AppSummary[] }>(`/apps${query({ q: text, category, limit: 200 })}`, signal),
    placeholderData: (previous) => previous, // the cards stay while the next search runs
  });
}

export function useCategories() {
  return useQuery({
    queryKey: ["apps", "categories"],
    queryFn: ({ signal }) => api.get<{ categories: Record<string, number> }>("/apps/categories", signal),
    staleTime: 60_000,
  });
}

export function useApp(name: string, repository?: string) {
  return useQuery({
    queryKey: ["app", name, repository],
    queryFn: ({ signal }) => api.get<AppDetail>(`/apps/${encodeURIComponent(name)}${query({ repository })}`, signal),
  });
}

export function useVersion(name: string, version: string | undefined, repository?: string) {
  return useQuery({
    queryKey: ["app", name, repository, "version", version],
    queryFn: ({ signal }) =>
      api.get<VersionDetail>(
        `/apps/${encodeURIComponent(name)}/versions/${encodeURIComponent(version!)}${query({ repository })}`,
        signal,
      ),
    enabled: Boolean(version),
    staleTime: 300_000, // a published version does not change
  });
}

/** A version's security scan; asked again every few seconds while it runs (the gateway answers 202 then). */
export function useVersionScan(name: string, version: string | undefined, repository?: string) {
  return useQuery({
    queryKey: ["app", name, repository, "version", version, "scan"],
    queryFn: ({ signal }) =>
      api.get<ScanReportData>(
        `/apps/${encodeURIComponent(name)}/versions/${encodeURIComponent(version!)}/scan${query({ repository })}`,
        signal,
      ),
    enabled: Boolean(version),
    refetchInterval: (q) => (q.state.data?.state === "scanning" ? 2_000 : false),
  });
}
