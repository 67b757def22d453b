import { ApiError, OFFLINE } from "../api";
import { useT } from "../i18n";
import { messages } from "./messages";

/** A failure where the user acted: the gateway's `detail` (it says what to do next), read out by screen readers. */
export function ErrorNote({ error }: { error: unknown }) {
  const t = useT(messages);
  if (!error) return null;
  let text: string;
  if (error instanceof ApiError) text = error.status === OFFLINE ? t("offline") : error.detail || t("failed", { status: error.status });
  else text = error instanceof Error ? error.message : String(error);
  return (
    <p role="alert" className="error">
      {text}
    </p>
  );
}
