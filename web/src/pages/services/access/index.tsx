// The service page's Access tab (services/:name/access): where the service answers, its domains with their
// certificates, who may reach it and its web application firewall. Everyone on the team sees it; team admins
// change it, all at once (the gateway's PUT replaces the whole settings), and follow the operation live.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useParams, useSearchParams } from "react-router";

import { api, ApiError } from "../../../api";
import { useT } from "../../../i18n";
import type { Operation } from "../../../operations";
import { Busy } from "../../../ui/Busy";
import { ErrorNote } from "../../../ui/ErrorNote";
import { OperationProgress } from "../../../ui/OperationProgress";
import { useCommand } from "../backups/command";
import { type ServiceRef, servicePath, useServiceTeam } from "../backups/data";
import { useAuth } from "../../../auth";
import { type AccessForm, bodyOf, type DomainForm, type ExposureView, formOf, type TlsSource, type WafMode, withDomain, withoutDomain } from "./exposure";
import { messages } from "./messages";

const exposureKey = (ref: ServiceRef) => ["exposure", ref.name, ref.namespace ?? null];

export default function AccessTab() {
  const t = useT(messages);
  const { name = "" } = useParams();
  const [search] = useSearchParams();
  const ref: ServiceRef = { name, namespace: search.get("namespace") ?? undefined };
  const { me, can } = useAuth();
  const team = useServiceTeam(ref);
  const admin = team.isSuccess && (team.data ? can("admin", team.data) : Boolean(me?.is_admin));
  const view = useQuery({
    queryKey: exposureKey(ref),
    queryFn: ({ signal }) => api.get<ExposureView>(servicePath(ref, "/exposure"), signal),
  });
  const heading = useId();
  // Outside the editor, which starts afresh from the settings saved: the operation stays in view when it ends.
  const command = useCommand();
  const client = useQueryClient();
  const refresh = () => {
    void client.invalidateQueries({ queryKey: exposureKey(ref) });
    void client.invalidateQueries({ queryKey: ["service"] });
  };
  return (
    <section aria-labelledby={heading}>
      <h2 id={heading}>{t("title")}</h2>
      {view.isPending ? (
        <Busy />
      ) : view.isError ? (
        <ErrorNote error={view.error} />
      ) : (
        <>
          <Addresses view={view.data} />
          <AccessEditor key={JSON.stringify(view.data.exposure)} service={ref} view={view.data} editable={admin} command={command} />
          {command.operation && <OperationProgress id={command.operation} onEnded={refresh} />}
        </>
      )}
    </section>
  );
}

function Addresses({ view }: { view: ExposureView }) {
  const t = useT(messages);
  if (!view.web) return <p>{t("noWeb")}</p>;
  if (!view.urls.length) return <p>{t("noAddress")}</p>;
  return (
    <ul aria-label={t("addresses")} className="addresses">
      {view.urls.map((url, i) => (
        <li key={url}>
          <a href={url} target="_blank" rel="noreferrer">
            {url}
          </a>
          {i === 0 && view.urls.length > 1 ? ` (${t("primary")})` : null}
        </li>
      ))}
    </ul>
  );
}

type Command = ReturnType<typeof useCommand>;

function AccessEditor({ service, view, editable, command }: { service: ServiceRef; view: ExposureView; editable: boolean; command: Command }) {
  const t = useT(messages);
  const [form, setForm] = useState<AccessForm>(() => formOf(view.exposure));
  const ids = { allow: useId(), deny: useId(), sso: useId(), waf: useId(), paranoia: useId(), exclusions: useId(), user: useId(), password: useId() };
  const [user, setUser] = useState({ name: "", password: "" });
  const problem = (field: string) => (command.error instanceof ApiError ? command.error.fieldMessage(field) : undefined);
  const area = (id: string, label: string, hint: string, value: string, set: (v: string) => void, field: string) => (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea id={id} rows={3} value={value} readOnly={!editable} onChange={(e) => set(e.target.value)} aria-describedby={`${id}-hint`} spellCheck={false} />
      <p id={`${id}-hint`} className="hint">
        {hint}
      </p>
      {problem(field) && (
        <p role="alert" className="error field-error">
          {problem(field)}
        </p>
      )}
    </div>
  );
  return (
    <form
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        command.run(() => api.put<Operation>(servicePath(service, "/exposure"), bodyOf(form)));
      }}
    >
      <fieldset>
        <legend>{t("domains")}</legend>
        {form.domains.length ? (
          <ul className="domains">
            {form.domains.map((d) => (
              <li key={d.host}>
                {d.host} · {t(`tls_${d.tls}`)}
                {d.primary ? ` · ${t("primary")}` : ""}
                {editable && (
                  <button type="button" className="secondary" onClick={() => setForm(withoutDomain(form, d.host))}>
                    {t("removeDomain", { host: d.host })}
                  </button>
                )}
              </li>
            ))}
          </ul>
        ) : (
          <p>{t("noDomains")}</p>
        )}
        {editable && <DomainAdder onAdd={(domain) => setForm(withDomain(form, domain))} />}
      </fieldset>

      <fieldset>
        <legend>{t("access")}</legend>
        {area(ids.allow, t("allow"), t("allowHint"), form.allow, (allow) => setForm({ ...form, allow }), "allow")}
        {area(ids.deny, t("deny"), t("denyHint"), form.deny, (deny) => setForm({ ...form, deny }), "deny")}
        <p>{form.users.length ? t("users", { users: form.users.join(", ") }) : t("noUsers")}</p>
        {editable && (
          <div className="field-row">
            <label htmlFor={ids.user}>{t("userName")}</label>
            <input id={ids.user} value={user.name} autoComplete="off" onChange={(e) => setUser({ ...user, name: e.target.value })} />
            <label htmlFor={ids.password}>{t("userPassword")}</label>
            <input id={ids.password} type="password" value={user.password} autoComplete="new-password" onChange={(e) => setUser({ ...user, password: e.target.value })} />
            <button
              type="button"
              className="secondary"
              disabled={!user.name.trim() || !user.password}
              onClick={() => {
                const name = user.name.trim();
                setForm({ ...form, users: form.users.includes(name) ? form.users : [...form.users, name], passwords: { ...form.passwords, [name]: user.password } });
                setUser({ name: "", password: "" });
              }}
            >
              {t("addUser")}
            </button>
            {form.users.map((u) => (
              <button key={u} type="button" className="secondary" onClick={() => setForm({ ...form, users: form.users.filter((x) => x !== u) })}>
                {t("removeUser", { user: u })}
              </button>
            ))}
          </div>
        )}
        <div className="field">
          <input id={ids.sso} type="checkbox" checked={form.sso} disabled={!editable} onChange={(e) => setForm({ ...form, sso: e.target.checked })} />
          <label htmlFor={ids.sso}>{t("sso")}</label>
        </div>
      </fieldset>

      <fieldset>
        <legend>{t("firewall")}</legend>
        <div className="field">
          <label htmlFor={ids.waf}>{t("wafMode")}</label>
          <select id={ids.waf} value={form.waf} disabled={!editable} onChange={(e) => setForm({ ...form, waf: e.target.value as WafMode })}>
            {(["off", "detect", "block"] as const).map((mode) => (
              <option key={mode} value={mode}>
                {t(`waf_${mode}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.paranoia}>{t("paranoia")}</label>
          <select id={ids.paranoia} value={form.paranoia} disabled={!editable} onChange={(e) => setForm({ ...form, paranoia: Number(e.target.value) })}>
            {[1, 2, 3, 4].map((level) => (
              <option key={level} value={level}>
                {level}
              </option>
            ))}
          </select>
        </div>
        {area(ids.exclusions, t("exclusions"), t("exclusionsHint"), form.exclusions, (exclusions) => setForm({ ...form, exclusions }), "exclusions")}
      </fieldset>

      {editable && (
        <div className="actions">
          <button type="submit" disabled={command.busy}>
            {t("save")}
          </button>
        </div>
      )}
      {/* A 422 naming a field is shown at it; anything else (403, a domain refused, the gateway away) here. */}
      {!["allow", "deny", "exclusions"].some((f) => problem(f)) && <ErrorNote error={command.error} />}
    </form>
  );
}

function DomainAdder({ onAdd }: { onAdd: (domain: DomainForm) => void }) {
  const t = useT(messages);
  const empty: DomainForm = { host: "", primary: false, tls: "auto", certificate: "", key: "" };
  const [domain, setDomain] = useState<DomainForm>(empty);
  const ids = { host: useId(), primary: useId(), tls: useId(), certificate: useId(), key: useId() };
  return (
    <div className="domain-adder">
      <div className="field">
        <label htmlFor={ids.host}>{t("host")}</label>
        <input id={ids.host} value={domain.host} placeholder="git.example.com" autoComplete="off" spellCheck={false} onChange={(e) => setDomain({ ...domain, host: e.target.value })} />
      </div>
      <div className="field">
        <input id={ids.primary} type="checkbox" checked={domain.primary} onChange={(e) => setDomain({ ...domain, primary: e.target.checked })} />
        <label htmlFor={ids.primary}>{t("makePrimary")}</label>
      </div>
      <div className="field">
        <label htmlFor={ids.tls}>{t("tls")}</label>
        <select id={ids.tls} value={domain.tls} onChange={(e) => setDomain({ ...domain, tls: e.target.value as TlsSource })}>
          {(["auto", "uploaded", "none"] as const).map((tls) => (
            <option key={tls} value={tls}>
              {t(`tls_${tls}`)}
            </option>
          ))}
        </select>
      </div>
      {domain.tls === "uploaded" && (
        <>
          <div className="field">
            <label htmlFor={ids.certificate}>{t("certificate")}</label>
            <textarea id={ids.certificate} rows={4} value={domain.certificate ?? ""} spellCheck={false} onChange={(e) => setDomain({ ...domain, certificate: e.target.value })} />
          </div>
          <div className="field">
            <label htmlFor={ids.key}>{t("key")}</label>
            <textarea id={ids.key} rows={4} value={domain.key ?? ""} spellCheck={false} onChange={(e) => setDomain({ ...domain, key: e.target.value })} />
          </div>
        </>
      )}
      <button
        type="button"
        className="secondary"
        disabled={!domain.host.trim()}
        onClick={() => {
          onAdd(domain);
          setDomain(empty);
        }}
      >
        {t("addDomain")}
      </button>
    </div>
  );
}
