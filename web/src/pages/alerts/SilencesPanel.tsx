// The silences the user may see; those of their teams (operators) or the platform's (platform admins) can be
// expired at once.
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";

import { api } from "../../api";
import { useAuth } from "../../auth";
import { useFormat, useT } from "../../i18n";
import type { Operation } from "../../operations";
import { useTeamName } from "../../teams";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import { messages } from "./messages";
import { useSilences } from "./queries";
import type { MatcherBody, Silence } from "./types";

const matcherText = (m: MatcherBody) => `${m.name}${m.is_equal ? "" : "!"}${m.is_regex ? "=~" : "="}"${m.value}"`;

function stateOf(silence: Silence, now: number): "active" | "scheduled" | "expired" {
  if (silence.active) return "active";
  return Date.parse(silence.starts_at) > now ? "scheduled" : "expired";
}

export function SilencesPanel({ onStarted }: { onStarted: (operation: Operation) => void }) {
  const t = useT(messages);
  const format = useFormat();
  const teamName = useTeamName();
  const { canOn } = useAuth();
  const [includeExpired, setIncludeExpired] = useState(false);
  const silences = useSilences(includeExpired);
  const expire = useMutation({
    mutationFn: (silence: Silence) => api.delete<Operation>(`/silences/${encodeURIComponent(silence.silence_id)}`),
    onSuccess: onStarted,
  });
  const now = Date.now();
  return (
    <section aria-labelledby="silences-title">
      <h2 id="silences-title">{t("silences")}</h2>
      <label className="check">
        <input type="checkbox" checked={includeExpired} onChange={(e) => setIncludeExpired(e.target.checked)} />
        {t("includeExpired")}
      </label>
      {silences.isPending && <Busy label={t("loadingSilences")} />}
      <ErrorNote error={silences.error} />
      <ErrorNote error={expire.error} />
      {silences.data && silences.data.length === 0 && <p>{t("noSilences")}</p>}
      {silences.data && silences.data.length > 0 && (
        <table aria-labelledby="silences-title">
          <thead>
            <tr>
              <th scope="col">{t("matching")}</th>
              <th scope="col">{t("team")}</th>
              <th scope="col">{t("state")}</th>
              <th scope="col">{t("ends")}</th>
              <th scope="col">{t("comment")}</th>
              <th scope="col">{t("createdBy")}</th>
              <th scope="col">{t("actions")}</th>
            </tr>
          </thead>
          <tbody>
            {silences.data.map((silence) => {
              const state = stateOf(silence, now);
              return (
                <tr key={silence.silence_id} data-silence={silence.silence_id} data-state={state}>
                  <td>
                    {silence.matchers.map((m) => (
                      <code key={`${m.name}-${m.value}`} className="matcher">
                        {matcherText(m)}
                      </code>
                    ))}
                  </td>
                  <td>{silence.team ? teamName(silence.team) : t("platform")}</td>
                  <td>{t(state)}</td>
                  <td>
                    <time dateTime={silence.ends_at}>{format.date(silence.ends_at)}</time>
                  </td>
                  <td>{silence.comment || "—"}</td>
                  <td>{silence.created_by ?? "—"}</td>
                  <td>
                    {state !== "expired" && canOn("operator", silence.team) && (
                      <button
                        type="button"
                        className="secondary"
                        disabled={expire.isPending}
                        aria-label={t("expireOne", { id: silence.silence_id })}
                        onClick={() => expire.mutate(silence)}
                      >
                        {t("expire")}
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
