// Alert rules as the form has them and as the gateway takes them (RuleSpec). The templates and their
// parameters are the contract's (quickon_common.contracts.monitor.TEMPLATES), copied in templates.json:
// tests/unit/test_console_rule_templates.py fails when the two differ. "platformOnly": templates whose
// series or events belong to no team (nodes, the platform's components, logins, dead letters, the audit
// log), so a team's rule of them would never fire; only the platform's rules offer them.
import { parseDuration } from "./duration";
import TEMPLATES from "./templates.json";
import type { Rule, RuleSpec, Severity } from "./types";

export interface Param {
  default: number | string;
  minimum?: number;
  maximum?: number;
}

export interface Template {
  kind: "prometheus" | "behaviour";
  platformOnly?: boolean;
  params: Record<string, Param>;
}

export const templates = TEMPLATES as Record<string, Template>;
export const TEMPLATE_NAMES = Object.keys(templates);

/** The templates a rule of ``team`` may use (none: the platform's, which may use all). */
export function templatesFor(team: string | null): string[] {
  return TEMPLATE_NAMES.filter((name) => team === null || !templates[name]!.platformOnly);
}

/** A template's parameters at their defaults, as the form's text fields hold them. */
export function defaultParams(template: string): Record<string, string> {
  const params = templates[template]?.params ?? {};
  return Object.fromEntries(Object.entries(params).map(([name, param]) => [name, String(param.default)]));
}

export interface RuleForm {
  name: string;
  team: string | null; // a team's id; null: the platform's
  mode: "template" | "expr";
  template: string;
  params: Record<string, string>;
  expr: string;
  forText: string; // "5m", "90s", "0"
  severity: Severity;
  summary: string;
}

/** What is wrong with a form: the field, and a message key with its values. */
export interface FormProblem {
  field: string;
  key: "nameMissing" | "exprMissing" | "badDuration" | "notNumber" | "outOfRange";
  vars?: Record<string, string | number>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]*$/;
const MAX_FOR_S = 7 * 86_400;

/** The body of POST /alert-rules from the form; or the first thing wrong with it. */
export function ruleBody(form: RuleForm): (RuleSpec & { team: string | null }) | FormProblem {
  const name = form.name.trim();
  if (!name || !NAME.test(name)) return { field: "name", key: "nameMissing" };
  const forS = parseDuration(form.forText || "0");
  if (forS === null || forS < 0 || forS > MAX_FOR_S) return { field: "for", key: "badDuration" };
  const common = { name, for_s: forS, severity: form.severity, summary: form.summary.trim(), enabled: true, team: form.team };
  if (form.mode === "expr") {
    const expr = form.expr.trim();
    if (!expr) return { field: "expr", key: "exprMissing" };
    return { ...common, expr };
  }
  const params: Record<string, number | string> = {};
  for (const [param, declared] of Object.entries(templates[form.template]?.params ?? {})) {
    const text = (form.params[param] ?? String(declared.default)).trim();
    if (typeof declared.default === "string") {
      params[param] = text;
      continue;
    }
    const value = Number(text);
    if (text === "" || !Number.isFinite(value)) return { field: `params.${param}`, key: "notNumber", vars: { param } };
    if ((declared.minimum !== undefined && value < declared.minimum) || (declared.maximum !== undefined && value > declared.maximum))
      return { field: `params.${param}`, key: "outOfRange", vars: { param, minimum: declared.minimum ?? "", maximum: declared.maximum ?? "" } };
    params[param] = value;
  }
  return { ...common, template: form.template, params };
}

export function isProblem<T extends object>(value: T | FormProblem): value is FormProblem {
  return "key" in value && "field" in value;
}

/** What may be changed of a saved rule in place. */
export interface RuleEdits {
  for_s: number;
  severity: Severity;
  summary: string;
  enabled: boolean;
}

/** The whole spec PUT /alert-rules/{id} takes: the rule as it is, with ``edits``. */
export function editedSpec(rule: Rule, edits: Partial<RuleEdits>): RuleSpec {
  const kept: RuleSpec = {
    name: rule.name,
    for_s: rule.for_s,
    keep_firing_for_s: rule.keep_firing_for_s,
    severity: rule.severity,
    labels: rule.labels,
    summary: rule.summary,
    enabled: rule.enabled,
    ...(rule.template ? { template: rule.template, params: rule.params } : { expr: rule.expr ?? "" }),
  };
  return { ...kept, ...edits };
}
