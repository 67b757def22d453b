// Chart values in the install dialog: which fields are secret (shown as password inputs), what the user
// changed from the chart's defaults (only that is sent, as `helm --values` would carry it), and the
// gateway's field errors (`body.values.gitea.appName`) placed at their fields.
import type { ErrorSchema, RJSFSchema, UiSchema } from "@rjsf/utils";

import type { FieldError } from "../../api";

type Tree = Record<string, unknown>;

// The same rule as quickon_common.secret_values.CREDENTIAL: a key that names a credential is secret
// whether the chart marks it or not.
const CREDENTIAL = /(passw(or)?d|secret|token|api_?key|private_?key|credential)/i;

const isTree = (value: unknown): value is Tree => typeof value === "object" && value !== null && !Array.isArray(value);

/** Whether a schema node marks its value secret (as quickon_market.charts.is_secret decides). */
export function marksSecret(node: RJSFSchema): boolean {
  return Boolean((node as Tree)["x-quickon-secret"] || node.format === "password" || node.writeOnly);
}

function holdsText(node: RJSFSchema): boolean {
  const type = node.type;
  return type === undefined || type === "string" || (Array.isArray(type) && type.includes("string"));
}

/** The uiSchema that shows every secret value of ``schema`` as a password input: those the schema marks
 * and the text values under a key that names a credential, inside objects and list items alike. */
export function secretUiSchema(schema: RJSFSchema): UiSchema {
  const ui: UiSchema = {};
  for (const [key, value] of Object.entries(schema.properties ?? {})) {
    if (!isTree(value)) continue;
    const node = value as RJSFSchema;
    if (marksSecret(node) || (CREDENTIAL.test(key) && holdsText(node) && !node.properties)) {
      ui[key] = { "ui:widget": "password" };
      continue;
    }
    const inner = secretUiSchema(node);
    const items = isTree(node.items) ? secretUiSchema(node.items as RJSFSchema) : {};
    if (Object.keys(items).length) inner.items = items;
    if (Object.keys(inner).length) ui[key] = inner;
  }
  return ui;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The values that differ from ``defaults``: nested like them, a list whole. A text field the user emptied
 * (the form drops it) is sent as "" so that the chart's non-empty default does not come back. */
export function changedValues(defaults: unknown, edited: unknown): Tree {
  const changed: Tree = {};
  const base = isTree(defaults) ? defaults : {};
  const now = isTree(edited) ? edited : {};
  for (const [key, value] of Object.entries(now)) {
    if (value === undefined) continue;
    const before = base[key];
    if (isTree(value) && isTree(before)) {
      const inner = changedValues(before, value);
      if (Object.keys(inner).length) changed[key] = inner;
    } else if (!same(value, before)) changed[key] = value;
  }
  for (const [key, before] of Object.entries(base)) {
    if (now[key] === undefined && typeof before === "string" && before !== "") changed[key] = "";
  }
  return changed;
}

/** The gateway's errors about values (``body.values.a.b``) as the form's error schema, each at its field;
 * one about the values as a whole (``body.values``) at the top. */
export function valuesErrorSchema(errors: FieldError[]): ErrorSchema {
  const root: Tree = {};
  for (const { field, message } of errors) {
    if (field !== "body.values" && !field.startsWith("body.values.")) continue;
    let node = root;
    for (const part of field.split(".").slice(2)) {
      if (!isTree(node[part])) node[part] = {};
      node = node[part] as Tree;
    }
    node.__errors = [...((node.__errors as string[] | undefined) ?? []), message];
  }
  return root as ErrorSchema;
}
