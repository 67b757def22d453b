// The dashboard's two requests, as query options shared by its cards and by the prefetch main.tsx starts
// before React has rendered anything (the dashboard is the page most visits open on).
import { type QueryClient, queryOptions } from "@tanstack/react-query";

import { api } from "../../api";
import type { ClusterResources, ServiceSummary } from "./summary";

const LIMIT = 1000; // the most the gateway lists at once
const SERVICES_PATH = `/services?limit=${LIMIT}`;
const RESOURCES_PATH = "/cluster/resources";
/** What the dashboard asks for first: index.html asks for the same before the code arrives (early.test.ts). */
export const DASHBOARD_PATHS = [SERVICES_PATH, RESOURCES_PATH];

export const servicesQuery = queryOptions({
  queryKey: ["dashboard", "services"],
  queryFn: ({ signal }) => api.get<{ services: ServiceSummary[] }>(SERVICES_PATH, signal),
  refetchInterval: 15_000,
});

export const resourcesQuery = queryOptions({
  queryKey: ["dashboard", "resources"],
  queryFn: ({ signal }) => api.get<ClusterResources>(RESOURCES_PATH, signal),
  refetchInterval: 30_000,
});

export function prefetchDashboard(client: QueryClient): void {
  void client.prefetchQuery(servicesQuery);
  void client.prefetchQuery(resourcesQuery);
}
