import { useT } from "../i18n";
import { messages } from "./messages";

/** Waiting, said in words (nothing spins silently): ``label`` says what is awaited. */
export function Busy({ label }: { label?: string }) {
  const t = useT(messages);
  return (
    <p role="status" aria-live="polite" className="busy">
      {label ?? t("loading")}
    </p>
  );
}
