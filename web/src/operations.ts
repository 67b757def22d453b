// Operations (GET /api/v1/operations/{id}): what a command started, followed until it ends. Every page
// that starts a command shows its progress with <OperationProgress id=…/> (ui/OperationProgress.tsx).
import { useQuery } from "@tanstack/react-query";

import { api } from "./api";

export interface Step {
  step: string;
  state: "started" | "completed" | "failed" | "compensated" | string;
  detail?: string | null;
  at?: string | null;
}

export interface Operation {
  operation_id: string;
  kind: string;
  target: {
    service?: string | null;
    namespace?: string | null;
    repository?: string | null;
    node?: string | null;
    component?: string | null;
  };
  state: "pending" | "running" | "succeeded" | "failed";
  steps: Step[];
  error?: { reason: string; step?: string | null } | null;
  result?: Record<string, unknown> | null;
  actor?: string | null;
  team?: string | null;
  created_at: string;
  updated_at: string;
  finished_at?: string | null;
  warnings?: { field: string; message: string }[];
}

export const ended = (operation: Operation | undefined) => operation?.state === "succeeded" || operation?.state === "failed";

/** One operation, asked for again every half second until it has ended. */
export function useOperation(id: string | null | undefined) {
  return useQuery({
    queryKey: ["operation", id],
    queryFn: ({ signal }) => api.get<Operation>(`/operations/${encodeURIComponent(id!)}`, signal),
    enabled: Boolean(id),
    refetchInterval: (query) => (ended(query.state.data) ? false : 500),
  });
}
