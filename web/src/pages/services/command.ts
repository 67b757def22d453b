import { useMutation } from "@tanstack/react-query";

import { api } from "../../api";
import { type Started, servicePath } from "./data";

/** A command on a service (POST/DELETE answering 202 with an operation), handed to ``started`` to follow. */
export function useCommand(name: string, namespace: string, started: (op: Started) => void) {
  return useMutation({
    mutationFn: ({ tail, body, method = "POST", params = "" }: { tail: string; body?: unknown; method?: "POST" | "DELETE"; params?: string }) => {
      const path = servicePath(name, namespace, tail) + (params ? `&${params}` : "");
      return method === "DELETE" ? api.delete<Started>(path) : api.post<Started>(path, body);
    },
    onSuccess: started,
  });
}
