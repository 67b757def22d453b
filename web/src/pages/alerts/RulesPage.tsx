// Alert rules: every rule the user may see (their teams' and the platform's), and what they may do with each:
// a team's admins its rules, platform admins the platform's (create, edit, enable or disable, delete).
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, Fragment, useId, useState } from "react";

import { api } from "../../api";
import { useAuth } from "../../auth";
import { useT } from "../../i18n";
import type { Operation } from "../../operations";
import { useTeamName } from "../../teams";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import { TypedConfirm } from "../../ui/TypedConfirm";
import { useCommandProgress } from "./commands";
import { formatDuration, parseDuration } from "./duration";
import { ALERTS, RULES, useRules } from "./queries";
import { paramLabel, RuleForm, SeveritySelect, templateLabel } from "./RuleForm";
import { ruleMessages } from "./ruleMessages";
import { editedSpec, type RuleEdits } from "./rules";
import type { Rule } from "./types";

const COLUMNS = 6;

export function RulesPage() {
  const t = useT(ruleMessages);
  const { canOn } = useAuth();
  const teamName = useTeamName();
  const rules = useRules();
  const { started, progress } = useCommandProgress([RULES, ALERTS]);
  const [editing, setEditing] = useState<string | null>(null);
  const [removing, setRemoving] = useState<Rule | null>(null);
  const change = useMutation({
    mutationFn: ({ rule, edits }: { rule: Rule; edits: Partial<RuleEdits> }) =>
      api.put<Operation>(`/alert-rules/${encodeURIComponent(rule.rule_id)}`, editedSpec(rule, edits)),
    onSuccess: (operation) => {
      setEditing(null);
      started(operation);
    },
  });
  const remove = useMutation({
    mutationFn: (rule: Rule) => api.delete<Operation>(`/alert-rules/${encodeURIComponent(rule.rule_id)}`),
    onSuccess: (operation) => {
      setRemoving(null);
      started(operation);
    },
  });
  const severityName = (severity: string) => (severity === "critical" || severity === "warning" || severity === "info" ? t(severity) : severity);
  return (
    <section aria-labelledby="rules-title">
      <h2 id="rules-title">{t("title")}</h2>
      <p className="hint">{t("intro")}</p>
      <RuleForm onStarted={started} />
      {progress}
      <ErrorNote error={change.error} />
      {removing && (
        <TypedConfirm name={removing.name} action={t("removeRule")} busy={remove.isPending} onConfirm={() => remove.mutate(removing)} onCancel={() => setRemoving(null)}>
          <p>{t("removeWhat")}</p>
        </TypedConfirm>
      )}
      <ErrorNote error={remove.error} />
      <h3 id="rules-list">{t("list")}</h3>
      {rules.isPending && <Busy label={t("loading")} />}
      <ErrorNote error={rules.error} />
      {rules.data && rules.data.length === 0 && <p>{t("empty")}</p>}
      {rules.data && rules.data.length > 0 && (
        <table aria-labelledby="rules-list">
          <thead>
            <tr>
              <th scope="col">{t("name")}</th>
              <th scope="col">{t("team")}</th>
              <th scope="col">{t("template")}</th>
              <th scope="col">{t("severity")}</th>
              <th scope="col">{t("state")}</th>
              <th scope="col">{t("actions")}</th>
            </tr>
          </thead>
          <tbody>
            {rules.data.map((rule) => {
              const mayManage = canOn("admin", rule.team);
              return (
                <Fragment key={rule.rule_id}>
                  <tr data-rule={rule.name} data-enabled={rule.enabled}>
                    <td>
                      <strong>{rule.name}</strong> {rule.builtin && <span className="tag">{t("builtin")}</span>}
                      {rule.summary && <div className="hint">{rule.summary}</div>}
                      {rule.last_error && <div className="error last-error">{t("lastError", { error: rule.last_error })}</div>}
                    </td>
                    <td>{rule.team ? teamName(rule.team) : t("platform")}</td>
                    <td>
                      <div>{rule.template ? `${templateLabel(t, rule.template)}` : t("fromExpr")}</div>
                      {Object.keys(rule.params).length > 0 && (
                        <div className="hint">
                          {Object.entries(rule.params)
                            .map(([param, value]) => `${paramLabel(t, param)}: ${value}`)
                            .join(" · ")}
                        </div>
                      )}
                      {rule.query && (
                        <details>
                          <summary>{t("query")}</summary>
                          <code className="hash">{rule.query}</code>
                        </details>
                      )}
                    </td>
                    <td>
                      {severityName(rule.severity)}
                      <div className="hint">
                        {t("for")}: {formatDuration(rule.for_s)}
                      </div>
                    </td>
                    <td className={rule.enabled ? "status-ok" : ""}>{t(rule.enabled ? "enabled" : "disabled")}</td>
                    <td>
                      {mayManage && (
                        <div className="actions compact">
                          <button
                            type="button"
                            className="secondary"
                            aria-expanded={editing === rule.rule_id}
                            aria-label={t("editOne", { name: rule.name })}
                            onClick={() => setEditing(editing === rule.rule_id ? null : rule.rule_id)}
                          >
                            {t("edit")}
                          </button>
                          <button
                            type="button"
                            className="secondary"
                            disabled={change.isPending}
                            aria-label={t(rule.enabled ? "disableOne" : "enableOne", { name: rule.name })}
                            onClick={() => change.mutate({ rule, edits: { enabled: !rule.enabled } })}
                          >
                            {t(rule.enabled ? "disable" : "enable")}
                          </button>
                          {!rule.builtin && (
                            <button type="button" className="danger" aria-label={t("removeOne", { name: rule.name })} onClick={() => setRemoving(rule)}>
                              {t("remove")}
                            </button>
                          )}
                        </div>
                      )}
                    </td>
                  </tr>
                  {editing === rule.rule_id && (
                    <tr>
                      <td colSpan={COLUMNS}>
                        <RuleEditor rule={rule} busy={change.isPending} onSave={(edits) => change.mutate({ rule, edits })} onCancel={() => setEditing(null)} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** What may be changed of a rule in place: how long before it fires, its severity, its summary. */
function RuleEditor({ rule, busy, onSave, onCancel }: { rule: Rule; busy: boolean; onSave: (edits: Partial<RuleEdits>) => void; onCancel: () => void }) {
  const t = useT(ruleMessages);
  const id = useId();
  const [forText, setForText] = useState(formatDuration(rule.for_s));
  const [severity, setSeverity] = useState(rule.severity);
  const [summary, setSummary] = useState(rule.summary);
  const [bad, setBad] = useState(false);
  function submit(event: FormEvent) {
    event.preventDefault();
    const forS = parseDuration(forText);
    if (forS === null || forS > 7 * 86_400) return setBad(true);
    setBad(false);
    onSave({ for_s: forS, severity, summary: summary.trim() });
  }
  return (
    <form className="dialog form-row" aria-label={t("editTitle", { name: rule.name })} onSubmit={submit} noValidate>
      <h3>{t("editTitle", { name: rule.name })}</h3>
      <label htmlFor={`${id}-for`}>
        {t("for")}
        <input
          id={`${id}-for`}
          value={forText}
          onChange={(e) => setForText(e.target.value)}
          aria-invalid={bad ? true : undefined}
          aria-describedby={`${id}-for-note`}
          autoComplete="off"
        />
        <span id={`${id}-for-note`} className={bad ? "field-error" : "hint"}>
          {bad ? t("badDuration") : t("forHint")}
        </span>
      </label>
      <SeveritySelect id={`${id}-severity`} value={severity} onChange={setSeverity} />
      <label htmlFor={`${id}-summary`} className="wide">
        {t("summary")}
        <input id={`${id}-summary`} value={summary} onChange={(e) => setSummary(e.target.value)} maxLength={1000} autoComplete="off" />
      </label>
      <div className="actions">
        <button type="submit" disabled={busy}>
          {t("saveChanges")}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          {t("cancel")}
        </button>
      </div>
    </form>
  );
}
