// The dashboard's one request (GET /overview: the services counted by status, the newest, the cluster's
// resources), as query options shared by its cards and by the prefetch main.tsx starts before React has
// rendered anything (the dashboard is the page most visits open on).
import { type QueryClient, queryOptions } from "@tanstack/react-query";

import { api, query } from "../../api";
import { meQuery } from "../../auth";
import type { Alert } from "../alerts/types";
import type { Overview } from "./summary";

const OVERVIEW_PATH = "/overview";
/** What the dashboard asks for first: index.html asks for the same before the code arrives (early.test.ts). */
export const DASHBOARD_PATHS = [OVERVIEW_PATH];

export const overviewQuery = queryOptions({
  queryKey: ["dashboard", "overview"],
  queryFn: ({ signal }) => api.get<Overview>(OVERVIEW_PATH, signal),
  refetchInterval: 15_000,
  // Fresh for 10 s: the answer index.html asked for early is not asked for again as the page mounts.
  staleTime: 10_000,
});

/** Every firing alert (the API's most), for the dashboard's counts; not asked for early (AlertsCard.tsx). */
export const alertsQuery = queryOptions({
  queryKey: ["dashboard", "alerts"],
  queryFn: ({ signal }) => api.get<{ alerts: Alert[] }>(`/alerts${query({ state: "firing", limit: 1000 })}`, signal),
  refetchInterval: 30_000,
  staleTime: 10_000,
});

/** Ask for the dashboard's data and who is signed in (index.html's early answers, when it asked); settles once
 * both are in the cache, or failed. */
export function prefetchDashboard(client: QueryClient, token: string): Promise<unknown> {
  return Promise.all([client.prefetchQuery(overviewQuery), client.prefetchQuery(meQuery(token))]);
}
