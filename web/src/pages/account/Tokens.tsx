import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";

import { api, ApiError } from "../../api";
import { useFormat, useT } from "../../i18n";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import { messages } from "./messages";
import { NewTokenNote } from "./NewTokenNote";

export interface TokenView {
  token_id: string;
  name: string;
  kind: "api" | "session" | string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
}

export interface NewToken extends TokenView {
  token: string;
}

const TOKENS = ["auth", "tokens"];

/** The caller's tokens that still work (API tokens and sign-in sessions), a form to create one, and a
 * revoke button on each. */
export function Tokens() {
  const t = useT(messages);
  const format = useFormat();
  const client = useQueryClient();
  const tokens = useQuery({ queryKey: TOKENS, queryFn: ({ signal }) => api.get<{ tokens: TokenView[] }>("/auth/tokens", signal) });
  const [created, setCreated] = useState<NewToken | null>(null);
  const revoke = useMutation({
    mutationFn: (token: TokenView) => api.delete<void>(`/auth/tokens/${encodeURIComponent(token.token_id)}`),
    onSettled: () => client.invalidateQueries({ queryKey: TOKENS }),
  });
  return (
    <section aria-labelledby="account-tokens" className="card">
      <h2 id="account-tokens">{t("tokensTitle")}</h2>
      <p className="hint">{t("tokensHow")}</p>
      <CreateToken
        onCreated={(token) => {
          setCreated(token);
          void client.invalidateQueries({ queryKey: TOKENS });
        }}
      />
      {created && <NewTokenNote token={created} onDone={() => setCreated(null)} />}
      <h3>{t("tokens")}</h3>
      {tokens.isPending && <Busy label={t("loadingTokens")} />}
      <ErrorNote error={tokens.error} />
      <ErrorNote error={revoke.error} />
      {revoke.isSuccess && revoke.variables && (
        <p role="status" className="status-ok">
          {t("revoked", { name: revoke.variables.name })}
        </p>
      )}
      {tokens.data && (
        <table aria-label={t("tokens")}>
          <thead>
            <tr>
              <th scope="col">{t("name")}</th>
              <th scope="col">{t("kind")}</th>
              <th scope="col">{t("created")}</th>
              <th scope="col">{t("expiresAt")}</th>
              <th scope="col">{t("lastUsed")}</th>
              <th scope="col">
                <span className="visually-hidden">{t("revoke")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.data.tokens.map((token) => (
              <tr key={token.token_id} data-token={token.token_id}>
                <td>{token.name}</td>
                <td>{token.kind === "api" ? t("kindApi") : token.kind === "session" ? t("kindSession") : token.kind}</td>
                <td>{format.date(token.created_at)}</td>
                <td>{token.expires_at ? format.date(token.expires_at) : "—"}</td>
                <td>{token.last_used_at ? format.date(token.last_used_at) : t("never")}</td>
                <td>
                  <button
                    type="button"
                    className="danger"
                    aria-label={t("revokeNamed", { name: token.name, created: format.date(token.created_at) })}
                    disabled={revoke.isPending}
                    onClick={() => revoke.mutate(token)}
                  >
                    {t("revoke")}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function CreateToken({ onCreated }: { onCreated: (token: NewToken) => void }) {
  const t = useT(messages);
  const id = useId();
  const [name, setName] = useState("");
  const [days, setDays] = useState("");
  const create = useMutation({
    mutationFn: () => api.post<NewToken>("/auth/tokens", { name, expires_in_days: days ? Number(days) : null }),
    onSuccess: (token) => {
      setName("");
      setDays("");
      onCreated(token);
    },
  });
  const failure = create.error instanceof ApiError ? create.error : null;
  const nameError = failure?.fieldMessage("name");
  const daysError = failure?.fieldMessage("expires_in_days");

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate();
  }

  return (
    <form onSubmit={submit} className="inline-form">
      <label>
        {t("name")}
        <input
          name="token-name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder={t("nameHint")}
          maxLength={100}
          required
          autoComplete="off"
          aria-invalid={Boolean(nameError)}
          aria-describedby={nameError ? `${id}-name-error` : undefined}
        />
        {nameError && <span id={`${id}-name-error`} role="alert" className="error">{nameError}</span>}
      </label>
      <label>
        {t("expires")}
        <input
          name="expires-in-days"
          type="number"
          min={1}
          max={3650}
          value={days}
          onChange={(e) => setDays(e.target.value)}
          placeholder={t("expiresHint")}
          aria-invalid={Boolean(daysError)}
          aria-describedby={daysError ? `${id}-days-error` : undefined}
        />
        {daysError && <span id={`${id}-days-error`} role="alert" className="error">{daysError}</span>}
      </label>
      <div className="actions">
        <button type="submit" disabled={create.isPending}>
          {t("create")}
        </button>
      </div>
      {create.isPending && <Busy label={t("creating")} />}
      {failure && (nameError || daysError) ? null : <ErrorNote error={create.error} />}
    </form>
  );
}
