// The alerts area's commands answer 202 with an operation: the newest one is followed here, and what it
// changed is asked for again once it has ended.
import { type QueryKey, useQueryClient } from "@tanstack/react-query";
import { type ReactNode, useState } from "react";

import type { Operation } from "../../operations";
import { OperationProgress } from "../../ui/OperationProgress";

export function useCommandProgress(keys: QueryKey[]): { started: (operation: Operation) => void; progress: ReactNode } {
  const client = useQueryClient();
  const [operation, setOperation] = useState<string | null>(null);
  const refresh = () => keys.forEach((key) => void client.invalidateQueries({ queryKey: key }));
  return {
    started: (started) => setOperation(started.operation_id),
    progress: operation ? <OperationProgress key={operation} id={operation} onEnded={refresh} /> : null,
  };
}
