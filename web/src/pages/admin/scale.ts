// A platform component's replicas, as an admin types them on the Components page: what the gateway takes
// (1 to 20, as `qc platform scale` does), said before anything is sent.

export const REPLICAS_MIN = 1;
export const REPLICAS_MAX = 20;

export type ScaleCheck = { replicas: number } | { problem: "whole" | "range" | "same" };

/** The replicas to ask for, or why the typed text cannot be asked for (``same``: the component asks for that already). */
export function checkReplicas(text: string, desired: number | null | undefined): ScaleCheck {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return { problem: "whole" };
  const replicas = Number(trimmed);
  if (replicas < REPLICAS_MIN || replicas > REPLICAS_MAX) return { problem: "range" };
  if (desired != null && replicas === desired) return { problem: "same" };
  return { replicas };
}
