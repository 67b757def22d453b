import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";

import { api, ApiError } from "../../api";
import { useAuth } from "../../auth";
import { useT } from "../../i18n";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import { messages } from "./messages";

/** Changes the caller's own password (POST /auth/password): a weak new one is refused at its field, a
 * wrong current one with the gateway's detail under the form. */
export function PasswordForm() {
  const t = useT(messages);
  const { me } = useAuth();
  const client = useQueryClient();
  const id = useId();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [repeat, setRepeat] = useState("");
  const [mismatch, setMismatch] = useState(false);
  const change = useMutation({
    mutationFn: () => api.post<void>("/auth/password", { current_password: current, new_password: next }),
    onSuccess: () => {
      setCurrent("");
      setNext("");
      setRepeat("");
      void client.invalidateQueries({ queryKey: ["auth", "tokens"] }); // the others were revoked
    },
  });
  const failure = change.error instanceof ApiError ? change.error : null;
  const newError = failure?.fieldMessage("new_password");
  const currentError = failure?.fieldMessage("current_password");

  function submit(event: FormEvent) {
    event.preventDefault();
    const differ = next !== repeat;
    setMismatch(differ);
    if (!differ) change.mutate();
  }

  return (
    <section aria-labelledby={`${id}-title`} className="card">
      <h2 id={`${id}-title`}>{t("passwordTitle")}</h2>
      <p className="hint">{t("passwordHow")}</p>
      <form onSubmit={submit} className="narrow">
        {/* A hidden username lets password managers file the new password under the right account. */}
        <input type="text" name="username" autoComplete="username" value={me?.username ?? ""} readOnly hidden />
        <label>
          {t("current")}
          <input
            type="password"
            name="current-password"
            autoComplete="current-password"
            value={current}
            onChange={(e) => setCurrent(e.target.value)}
            required
            aria-invalid={Boolean(currentError)}
            aria-describedby={currentError ? `${id}-current-error` : undefined}
          />
        </label>
        {currentError && <p id={`${id}-current-error`} role="alert" className="error">{currentError}</p>}
        <label>
          {t("new")}
          <input
            type="password"
            name="new-password"
            autoComplete="new-password"
            value={next}
            onChange={(e) => setNext(e.target.value)}
            required
            aria-invalid={Boolean(newError)}
            aria-describedby={newError ? `${id}-new-error` : undefined}
          />
        </label>
        {newError && <p id={`${id}-new-error`} role="alert" className="error">{newError}</p>}
        <label>
          {t("repeat")}
          <input
            type="password"
            name="repeat-password"
            autoComplete="new-password"
            value={repeat}
            onChange={(e) => setRepeat(e.target.value)}
            required
            aria-invalid={mismatch}
            aria-describedby={mismatch ? `${id}-repeat-error` : undefined}
          />
        </label>
        {mismatch && <p id={`${id}-repeat-error`} role="alert" className="error">{t("mismatch")}</p>}
        <div className="actions">
          <button type="submit" disabled={change.isPending}>
            {t("change")}
          </button>
        </div>
        {change.isPending && <Busy label={t("changing")} />}
        {/* Field errors are shown at their field; anything else (a wrong current password) here. */}
        {failure && (newError || currentError) ? null : <ErrorNote error={change.error} />}
        {change.isSuccess && (
          <p role="status" className="status-ok">
            {t("changed")}
          </p>
        )}
      </form>
    </section>
  );
}
