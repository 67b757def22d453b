// A new rule: whose (the teams the user is an admin of; the platform for platform admins), a template with
// its parameters or, for platform admins, raw PromQL; how long before it fires, its severity and summary.
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";

import { api, ApiError } from "../../api";
import { useAuth } from "../../auth";
import { useT } from "../../i18n";
import type { Operation } from "../../operations";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import { useOwners } from "./owners";
import { ruleMessages } from "./ruleMessages";
import { defaultParams, type FormProblem, isProblem, type RuleForm as Form, ruleBody, templates, templatesFor } from "./rules";
import type { Severity } from "./types";

type T = ReturnType<typeof useT<keyof (typeof ruleMessages)["en"]>>;

/** A template's name for people (its key when the console does not know it). */
export function templateLabel(t: T, template: string): string {
  const key = `template.${template}` as keyof (typeof ruleMessages)["en"];
  return key in ruleMessages.en ? t(key) : template;
}

export function paramLabel(t: T, param: string): string {
  const key = `param.${param}` as keyof (typeof ruleMessages)["en"];
  return key in ruleMessages.en ? t(key) : param;
}

export function RuleForm({ onStarted }: { onStarted: (operation: Operation) => void }) {
  const t = useT(ruleMessages);
  const id = useId();
  const { me } = useAuth();
  const { owners, isPending } = useOwners("admin");
  const [chosenOwner, setOwner] = useState<string | null>(null);
  const owner = chosenOwner ?? owners[0]?.value ?? "";
  const team = owner === "" ? null : owner;
  const offered = templatesFor(team);
  const [form, setForm] = useState<Omit<Form, "team">>({
    name: "",
    mode: "template",
    template: "restarts", // offered to a team's rules as well as the platform's: right whoever the owner is at first
    params: defaultParams("restarts"),
    expr: "",
    forText: "5m",
    severity: "warning",
    summary: "",
  });
  const [problem, setProblem] = useState<FormProblem | null>(null);
  const save = useMutation({
    mutationFn: (body: unknown) => api.post<Operation>("/alert-rules", body),
    onSuccess: (operation) => {
      setForm({ ...form, name: "", summary: "" });
      onStarted(operation);
    },
  });
  const set = (part: Partial<Omit<Form, "team">>) => setForm({ ...form, ...part });
  const rawAllowed = Boolean(me?.is_admin);
  const mode = rawAllowed ? form.mode : "template";

  function submit(event: FormEvent) {
    event.preventDefault();
    const body = ruleBody({ ...form, mode, team });
    if (isProblem(body)) return setProblem(body);
    setProblem(null);
    save.mutate(body);
  }

  if (isPending) return <Busy />;
  if (owners.length === 0)
    return (
      <p role="note" className="hint">
        {t("noOwner")}
      </p>
    );
  const fieldError = (field: string) =>
    problem?.field === field ? t(problem.key, problem.vars) : save.error instanceof ApiError ? save.error.fieldMessage(field) : undefined;
  const describedBy = (field: string, hint?: boolean) => (fieldError(field) ? `${id}-${field}-error` : hint ? `${id}-${field}-hint` : undefined);
  const note = (field: string, hint?: string) => {
    const error = fieldError(field);
    if (error)
      return (
        <span id={`${id}-${field}-error`} className="field-error">
          {error}
        </span>
      );
    return hint ? (
      <span id={`${id}-${field}-hint`} className="hint">
        {hint}
      </span>
    ) : null;
  };
  const params = templates[form.template]?.params ?? {};
  return (
    <form className="card form-row" aria-label={t("create")} onSubmit={submit} noValidate>
      <h3>{t("create")}</h3>
      <label htmlFor={`${id}-name`}>
        {t("name")}
        <input
          id={`${id}-name`}
          value={form.name}
          onChange={(e) => set({ name: e.target.value })}
          aria-invalid={fieldError("name") ? true : undefined}
          aria-describedby={describedBy("name", true)}
          maxLength={100}
          autoComplete="off"
          required
        />
        {note("name", t("nameHint"))}
      </label>
      <label htmlFor={`${id}-owner`}>
        {t("team")}
        <select
          id={`${id}-owner`}
          value={owner}
          onChange={(e) => {
            const next = e.target.value;
            setOwner(next);
            // A template only the platform's rules may use gives way to the first one the team may.
            const allowed = templatesFor(next === "" ? null : next);
            if (!allowed.includes(form.template)) set({ template: allowed[0]!, params: defaultParams(allowed[0]!) });
          }}
        >
          {owners.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      </label>
      {rawAllowed && (
        <label htmlFor={`${id}-mode`}>
          {t("how")}
          <select id={`${id}-mode`} value={mode} onChange={(e) => set({ mode: e.target.value as Form["mode"] })}>
            <option value="template">{t("fromTemplate")}</option>
            <option value="expr">{t("fromExpr")}</option>
          </select>
        </label>
      )}
      {mode === "template" ? (
        <>
          <label htmlFor={`${id}-template`} className="wide">
            {t("template")}
            <select id={`${id}-template`} value={form.template} onChange={(e) => set({ template: e.target.value, params: defaultParams(e.target.value) })}>
              {offered.map((name) => (
                <option key={name} value={name}>
                  {templateLabel(t, name)} ({name})
                </option>
              ))}
            </select>
          </label>
          {Object.entries(params).map(([param, declared]) => {
            const field = `params.${param}`;
            const numeric = typeof declared.default === "number";
            const range = declared.minimum !== undefined && declared.maximum !== undefined ? t("range", { minimum: declared.minimum, maximum: declared.maximum }) : undefined;
            return (
              <label key={`${form.template}-${param}`} htmlFor={`${id}-${param}`}>
                {paramLabel(t, param)}
                <input
                  id={`${id}-${param}`}
                  type={numeric ? "number" : "text"}
                  min={declared.minimum}
                  max={declared.maximum}
                  value={form.params[param] ?? String(declared.default)}
                  onChange={(e) => set({ params: { ...form.params, [param]: e.target.value } })}
                  aria-invalid={fieldError(field) ? true : undefined}
                  aria-describedby={describedBy(field, Boolean(range))}
                  autoComplete="off"
                />
                {note(field, range)}
              </label>
            );
          })}
        </>
      ) : (
        <label htmlFor={`${id}-expr`} className="wide">
          {t("expr")}
          <textarea
            id={`${id}-expr`}
            value={form.expr}
            onChange={(e) => set({ expr: e.target.value })}
            rows={2}
            aria-invalid={fieldError("expr") ? true : undefined}
            aria-describedby={describedBy("expr", true)}
            spellCheck={false}
          />
          {note("expr", t("exprHint"))}
        </label>
      )}
      <label htmlFor={`${id}-for`}>
        {t("for")}
        <input
          id={`${id}-for`}
          value={form.forText}
          onChange={(e) => set({ forText: e.target.value })}
          aria-invalid={fieldError("for") ? true : undefined}
          aria-describedby={describedBy("for", true)}
          autoComplete="off"
        />
        {note("for", t("forHint"))}
      </label>
      <SeveritySelect id={`${id}-severity`} value={form.severity} onChange={(severity) => set({ severity })} />
      <label htmlFor={`${id}-summary`} className="wide">
        {t("summary")}
        <input
          id={`${id}-summary`}
          value={form.summary}
          onChange={(e) => set({ summary: e.target.value })}
          maxLength={1000}
          aria-invalid={fieldError("summary") ? true : undefined}
          aria-describedby={describedBy("summary", true)}
          autoComplete="off"
        />
        {note("summary", t("summaryHint"))}
      </label>
      <div className="actions">
        <button type="submit" disabled={save.isPending}>
          {t("save")}
        </button>
      </div>
      <ErrorNote error={save.error} />
    </form>
  );
}

export function SeveritySelect({ id, value, onChange }: { id: string; value: Severity; onChange: (severity: Severity) => void }) {
  const t = useT(ruleMessages);
  return (
    <label htmlFor={id}>
      {t("severity")}
      <select id={id} value={value} onChange={(e) => onChange(e.target.value as Severity)}>
        <option value="critical">{t("critical")}</option>
        <option value="warning">{t("warning")}</option>
        <option value="info">{t("info")}</option>
      </select>
    </label>
  );
}
