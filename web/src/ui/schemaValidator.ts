// The validator react-jsonschema-form checks values with, built on @cfworker/json-schema rather than
// @rjsf/validator-ajv8: Ajv compiles each schema into code with `new Function`, which the gateway's CSP
// (script-src 'self', no 'unsafe-eval') refuses, so every form would fail with an EvalError. cfworker's
// validator interprets the schema (drafts 4, 7, 2019-09, 2020-12) and needs no eval. Forms of chart values
// (the install dialog, the upgrade) use `schemaValidator`.
import { type OutputUnit, type Schema, type SchemaDraft, Validator } from "@cfworker/json-schema";
import {
  type CustomValidator,
  createErrorHandler,
  type ErrorTransformer,
  getDefaultFormState,
  type RJSFSchema,
  type RJSFValidationError,
  toErrorSchema,
  type UiSchema,
  unwrapErrorHandler,
  type ValidationData,
  validationDataMerge,
  type ValidatorType,
} from "@rjsf/utils";

// Errors that only say "something inside did not match": the error inside says what, at its own field.
const WRAPPERS = new Set([
  "properties", "patternProperties", "additionalProperties", "items", "prefixItems", "additionalItems", "allOf",
  "$ref", "$recursiveRef", "if", "then", "else", "dependentSchemas", "dependencies", "contains",
  "unevaluatedProperties", "unevaluatedItems", "propertyNames",
]); // prettier-ignore

function draftOf(schema: RJSFSchema): SchemaDraft {
  const declared = typeof schema.$schema === "string" ? schema.$schema : "";
  if (declared.includes("2020-12")) return "2020-12";
  if (declared.includes("2019-09")) return "2019-09";
  if (declared.includes("draft-04")) return "4";
  return "7";
}

/** A JSON pointer's tokens (`#/a/b~1c` → ["a", "b/c"]). */
export function pointerParts(pointer: string): string[] {
  const path = pointer.replace(/^#/, "");
  if (!path) return [];
  return path
    .slice(1)
    .split("/")
    .map((p) => decodeURIComponent(p).replace(/~1/g, "/").replace(/~0/g, "~"));
}

function at(tree: unknown, parts: string[]): unknown {
  let node = tree;
  for (const part of parts) node = node && typeof node === "object" ? (node as Record<string, unknown>)[part] : undefined;
  return node;
}

/** cfworker's output as react-jsonschema-form's errors: one per field that failed (the wrappers left out), its
 * `property` the field's path (`.admin.email`), `name` the keyword and `params.limit` the schema's bound, so
 * a form can say it in the user's language. */
export function toRjsfErrors(units: OutputUnit[], schema: RJSFSchema): RJSFValidationError[] {
  const found: RJSFValidationError[] = [];
  for (const unit of units) {
    if (WRAPPERS.has(unit.keyword)) continue;
    const parts = pointerParts(unit.instanceLocation);
    let name = unit.keyword;
    if (name === "required") {
      const missing = /property "(.*)"/.exec(unit.error)?.[1];
      if (missing !== undefined) parts.push(missing);
    }
    if (name === "false") name = "additionalProperties"; // a key the schema forbids
    const property = parts.length ? `.${parts.join(".")}` : "";
    const limit = name === "additionalProperties" ? undefined : at(schema, pointerParts(unit.keywordLocation));
    const message = unit.error;
    if (found.some((e) => e.property === property && e.name === name)) continue;
    found.push({ name, property, message, params: { limit }, stack: `${property || "."} ${message}`.trim(), schemaPath: unit.keywordLocation });
  }
  return found;
}

class CfworkerValidator implements ValidatorType {
  private readonly compiled = new WeakMap<object, Validator>();

  private validatorFor(schema: RJSFSchema, rootSchema: RJSFSchema = schema): Validator {
    let validator = this.compiled.get(schema);
    if (!validator) {
      // A sub-schema's $ref points into the root: give it the root's definitions.
      const whole = schema === rootSchema ? schema : { ...schema, definitions: rootSchema.definitions, $defs: rootSchema.$defs };
      validator = new Validator(whole as Schema, draftOf(rootSchema), false);
      this.compiled.set(schema, validator);
    }
    return validator;
  }

  rawValidation<Result = OutputUnit>(schema: RJSFSchema, formData?: unknown): { errors?: Result[]; validationError?: Error } {
    try {
      const result = this.validatorFor(schema).validate(formData);
      return { errors: result.valid ? undefined : (result.errors as Result[]) };
    } catch (error) {
      return { validationError: error as Error };
    }
  }

  validateFormData(
    formData: unknown,
    schema: RJSFSchema,
    customValidate?: CustomValidator,
    transformErrors?: ErrorTransformer,
    uiSchema?: UiSchema,
  ): ValidationData<unknown> {
    const raw = this.rawValidation<OutputUnit>(schema, formData);
    let errors = toRjsfErrors(raw.errors ?? [], schema);
    if (raw.validationError) errors = [...errors, { stack: raw.validationError.message }];
    if (transformErrors) errors = transformErrors(errors, uiSchema);
    const errorSchema = toErrorSchema(errors);
    if (!customValidate) return { errors, errorSchema };
    const complete = getDefaultFormState(this, schema, formData, schema, true);
    const handler = customValidate(complete, createErrorHandler(complete), uiSchema, errorSchema);
    return validationDataMerge({ errors, errorSchema }, unwrapErrorHandler(handler));
  }

  isValid(schema: RJSFSchema, formData: unknown, rootSchema: RJSFSchema): boolean {
    try {
      return this.validatorFor(schema, rootSchema).validate(formData).valid;
    } catch {
      return false;
    }
  }
}

export const schemaValidator: ValidatorType = new CfworkerValidator();
