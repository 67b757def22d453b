// A channel to add or change: its kind and address (secrets as password fields, never filled from the saved
// channel: they are not shown again), its language, and what it gets (events, alert severities).
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";

import { api, ApiError } from "../../api";
import { useT } from "../../i18n";
import type { Operation } from "../../operations";
import { ErrorNote } from "../../ui/ErrorNote";
import { channelMessages } from "./channelMessages";
import type { Owner } from "./owners";
import { type ChannelForm as Form, type ChannelProblem, channelBody, isChannelProblem, SIGNED_KINDS } from "./channels";
import { CHANNEL_KINDS, type ChannelKind, SEVERITIES, TOPICS } from "./types";

interface Props {
  initial: Form;
  channelId?: string; // set: a change of that channel
  owners?: Owner[]; // when adding: whose it may be
  onStarted: (operation: Operation) => void;
  onCancel?: () => void;
}

export function ChannelForm({ initial, channelId, owners, onStarted, onCancel }: Props) {
  const t = useT(channelMessages);
  const id = useId();
  const creating = channelId === undefined;
  const [form, setForm] = useState<Form>(initial);
  const [problem, setProblem] = useState<ChannelProblem | null>(null);
  const save = useMutation({
    mutationFn: (body: unknown) =>
      creating ? api.post<Operation>("/notification-channels", body) : api.put<Operation>(`/notification-channels/${encodeURIComponent(channelId)}`, body),
    onSuccess: (operation) => {
      if (creating) setForm(initial);
      onStarted(operation);
    },
  });
  const set = (part: Partial<Form>) => setForm({ ...form, ...part });
  const toggle = <V extends string>(list: V[], value: V, on: boolean) => (on ? [...list.filter((v) => v !== value), value] : list.filter((v) => v !== value));

  function submit(event: FormEvent) {
    event.preventDefault();
    const body = channelBody(form, creating);
    if (isChannelProblem(body)) return setProblem(body);
    setProblem(null);
    save.mutate(body);
  }

  const fieldError = (field: string) => (problem?.field === field ? t(problem.key) : save.error instanceof ApiError ? save.error.fieldMessage(field) : undefined);
  const input = (field: string, label: string, value: string, onChange: (value: string) => void, extra: { type?: string; hint?: string; wide?: boolean } = {}) => {
    const error = fieldError(field);
    const noteId = `${id}-${field.replace(/\W/g, "-")}-note`;
    return (
      <label htmlFor={`${id}-${field}`} className={extra.wide ? "wide" : undefined}>
        {label}
        <input
          id={`${id}-${field}`}
          type={extra.type ?? "text"}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error || extra.hint ? noteId : undefined}
          autoComplete={extra.type === "password" ? "new-password" : "off"}
        />
        {(error || extra.hint) && (
          <span id={noteId} className={error ? "field-error" : "hint"}>
            {error ?? extra.hint}
          </span>
        )}
      </label>
    );
  };
  const title = creating ? t("create") : t("editTitle", { name: initial.name });
  return (
    <form className={creating ? "card form-row" : "dialog form-row"} aria-label={title} onSubmit={submit} noValidate>
      <h3>{title}</h3>
      {input("name", t("name"), form.name, (name) => set({ name }))}
      {creating && owners && (
        <label htmlFor={`${id}-owner`}>
          {t("team")}
          <select id={`${id}-owner`} value={form.team ?? ""} onChange={(e) => set({ team: e.target.value || null })}>
            {owners.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
      )}
      <label htmlFor={`${id}-kind`}>
        {t("kind")}
        <select id={`${id}-kind`} value={form.kind} onChange={(e) => set({ kind: e.target.value as ChannelKind })}>
          {CHANNEL_KINDS.map((kind) => (
            <option key={kind} value={kind}>
              {t(`kind.${kind}`)}
            </option>
          ))}
        </select>
      </label>
      <label htmlFor={`${id}-language`}>
        {t("language")}
        <select id={`${id}-language`} value={form.language} onChange={(e) => set({ language: e.target.value as Form["language"] })}>
          <option value="en">{t("en")}</option>
          <option value="zh">{t("zh")}</option>
        </select>
      </label>
      {form.kind === "email" ? (
        <>
          {input("email.host", t("host"), form.host, (host) => set({ host }))}
          {input("email.port", t("port"), form.port, (port) => set({ port }), { type: "number" })}
          <label className="check">
            <input type="checkbox" checked={form.starttls} onChange={(e) => set({ starttls: e.target.checked })} />
            {t("starttls")}
          </label>
          {input("email.username", t("username"), form.username, (username) => set({ username }))}
          {input("password", creating ? t("password") : t("passwordKeep"), form.password, (password) => set({ password }), { type: "password" })}
          {input("email.sender", t("sender"), form.sender, (sender) => set({ sender }))}
          <label htmlFor={`${id}-recipients`} className="wide">
            {t("recipients")}
            <textarea
              id={`${id}-recipients`}
              rows={2}
              value={form.recipients}
              onChange={(e) => set({ recipients: e.target.value })}
              aria-invalid={fieldError("email.recipients") ? true : undefined}
              aria-describedby={`${id}-recipients-note`}
            />
            <span id={`${id}-recipients-note`} className={fieldError("email.recipients") ? "field-error" : "hint"}>
              {fieldError("email.recipients") ?? t("recipientsHint")}
            </span>
          </label>
        </>
      ) : (
        <>
          {input("url", creating ? t("url") : t("urlKeep"), form.url, (url) => set({ url }), { hint: t("urlHint"), wide: true, type: "url" })}
          {SIGNED_KINDS.includes(form.kind) &&
            input("secret", creating ? t("secret") : t("secretKeep"), form.secret, (secret) => set({ secret }), { type: "password", hint: t("secretHint") })}
        </>
      )}
      <fieldset className="wide" aria-describedby={fieldError("topics") ? `${id}-topics-note` : undefined}>
        <legend>{t("topics")}</legend>
        <div className="chips">
          {TOPICS.map((topic) => (
            <label key={topic} className="check">
              <input type="checkbox" checked={form.topics.includes(topic)} onChange={(e) => set({ topics: toggle(form.topics, topic, e.target.checked) })} />
              {t(`topic.${topic}`)}
            </label>
          ))}
        </div>
        {fieldError("topics") && (
          <span id={`${id}-topics-note`} className="field-error">
            {fieldError("topics")}
          </span>
        )}
      </fieldset>
      <fieldset>
        <legend>{t("severities")}</legend>
        <div className="chips">
          {SEVERITIES.map((severity) => (
            <label key={severity} className="check">
              <input
                type="checkbox"
                checked={form.severities.includes(severity)}
                onChange={(e) => set({ severities: toggle(form.severities, severity, e.target.checked) })}
              />
              {t(severity)}
            </label>
          ))}
        </div>
      </fieldset>
      <label className="check">
        <input type="checkbox" checked={form.enabled} onChange={(e) => set({ enabled: e.target.checked })} />
        {t("enabled")}
      </label>
      <div className="actions">
        <button type="submit" disabled={save.isPending}>
          {creating ? t("save") : t("saveChanges")}
        </button>
        {onCancel && (
          <button type="button" className="secondary" onClick={onCancel}>
            {t("cancel")}
          </button>
        )}
      </div>
      <ErrorNote error={save.error} />
    </form>
  );
}
