import { useId, useState } from "react";

import { useT } from "../../i18n";
import { messages } from "./messages";
import type { NewToken } from "./Tokens";

/** A token just created: shown this once (the gateway keeps only its hash), with a button to copy it. */
export function NewTokenNote({ token, onDone }: { token: NewToken; onDone: () => void }) {
  const t = useT(messages);
  const id = useId();
  const [copy, setCopy] = useState<"idle" | "copied" | "failed">("idle");

  async function copyToken() {
    try {
      await navigator.clipboard.writeText(token.token);
      setCopy("copied");
    } catch {
      setCopy("failed"); // no clipboard (an insecure origin, a refused permission): select it by hand
    }
  }

  return (
    <div role="region" aria-labelledby={`${id}-title`} className="dialog new-token">
      <h3 id={`${id}-title`}>{t("newToken", { name: token.name })}</h3>
      <p>{t("onceOnly")}</p>
      <label>
        {t("token")}
        <input readOnly value={token.token} className="token" onFocus={(e) => e.target.select()} spellCheck={false} />
      </label>
      <div className="actions">
        <button type="button" onClick={() => void copyToken()}>
          {t("copy")}
        </button>
        <button type="button" className="secondary" onClick={onDone}>
          {t("done")}
        </button>
      </div>
      {copy !== "idle" && (
        <p role="status" className={copy === "copied" ? "status-ok" : "error"}>
          {t(copy === "copied" ? "copied" : "copyFailed")}
        </p>
      )}
    </div>
  );
}
