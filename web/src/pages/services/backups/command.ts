// A command the tab sends (back up, verify, restore, delete, schedule): its request, then the operation the
// gateway answered with (202), which the caller follows with <OperationProgress>.
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";

import type { Operation } from "../../../operations";

export function useCommand() {
  const [operation, setOperation] = useState<string | null>(null);
  const mutation = useMutation({
    mutationFn: (send: () => Promise<Operation>) => send(),
    onSuccess: (answer) => setOperation(answer.operation_id),
  });
  return {
    /** Send it (once the previous one has answered); its operation replaces the previous one's. */
    run: (send: () => Promise<Operation>) => {
      setOperation(null);
      mutation.mutate(send);
    },
    operation,
    error: mutation.error,
    busy: mutation.isPending,
    reset: () => {
      setOperation(null);
      mutation.reset();
    },
  };
}
