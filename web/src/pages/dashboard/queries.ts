// The dashboard's two requests, as query options shared by its cards and by the prefetch main.tsx starts
// before React has rendered anything (the dashboard is the page most visits open on).
import { type QueryClient, queryOptions } from "@tanstack/react-query";

import { api } from "../../api";
import type { ClusterResources, ServiceSummary } from "./summary";

const LIMIT = 1000; // the most the gateway lists at once

export const servicesQuery = queryOptions({
  queryKey: ["dashboard", "services"],
  queryFn: ({ signal }) => api.get<{ services: ServiceSummary[] }>(`/services?limit=${LIMIT}`, signal),
  refetchInterval: 15_000,
});

export const resourcesQuery = queryOptions({
  queryKey: ["dashboard", "resources"],
  queryFn: ({ signal }) => api.get<ClusterResources>("/cluster/resources", signal),
  refetchInterval: 30_000,
});

export function prefetchDashboard(client: QueryClient): void {
  void client.prefetchQuery(servicesQuery);
  void client.prefetchQuery(resourcesQuery);
}
