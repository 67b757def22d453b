// The chart values as a form generated from the version's values.schema.json (react-jsonschema-form),
// in the install dialog's chunk only: rjsf is large, and most visits to the market never install.
import Form from "@rjsf/core";
import {
  englishStringTranslator,
  type ErrorSchema,
  type RJSFSchema,
  type RJSFValidationError,
  replaceStringParameters,
  TranslatableString,
} from "@rjsf/utils";
import { type Ref, useMemo } from "react";

import { useT } from "../../i18n";
import { schemaValidator } from "../../ui/schemaValidator";
import { formMessages } from "./formMessages";
import { secretUiSchema } from "./values";

type Key = keyof (typeof formMessages)["en"];
const RJSF_STRINGS: Partial<Record<TranslatableString, Key>> = {
  [TranslatableString.AddButton]: "rjsf.add",
  [TranslatableString.AddItemButton]: "rjsf.add",
  [TranslatableString.RemoveButton]: "rjsf.remove",
  [TranslatableString.MoveUpButton]: "rjsf.up",
  [TranslatableString.MoveDownButton]: "rjsf.down",
  [TranslatableString.CopyButton]: "rjsf.copy",
  [TranslatableString.ArrayItemTitle]: "rjsf.item",
  [TranslatableString.EmptyArray]: "rjsf.empty",
  [TranslatableString.YesLabel]: "rjsf.yes",
  [TranslatableString.NoLabel]: "rjsf.no",
  [TranslatableString.KeyLabel]: "rjsf.key",
};
const KNOWN = new Set(["required", "type", "pattern", "minLength", "maxLength", "minimum", "maximum", "enum", "format", "additionalProperties"]);

export interface ValuesFormProps {
  schema: RJSFSchema;
  values: unknown;
  onChange: (values: unknown) => void;
  serverErrors: ErrorSchema;
  formRef: Ref<Form>;
}

/** The first field the last validation marked, focused (rjsf's own focusOnFirstError needs a <form>, and this
 * one is a <div> inside the dialog's form). */
export function focusFirstError(): void {
  window.setTimeout(() => document.querySelector<HTMLElement>(".values-form .has-error :is(input, select, textarea)")?.focus());
}

/** The values form: defaults filled, secrets as password inputs, errors in the user's language at each
 * field, the gateway's own field errors (422) among them. It has no submit of its own: the dialog's
 * Install validates it through ``formRef``. */
export function ValuesForm({ schema, values, onChange, serverErrors, formRef }: ValuesFormProps) {
  const t = useT(formMessages);
  const uiSchema = useMemo(() => ({ ...secretUiSchema(schema), "ui:submitButtonOptions": { norender: true } }), [schema]);
  const transformErrors = (errors: RJSFValidationError[]) =>
    errors.map((error) => {
      if (!error.name || !KNOWN.has(error.name)) return error;
      const limit = error.params?.limit;
      const shown = Array.isArray(limit) ? limit.join(", ") : String(limit ?? "");
      return { ...error, message: t(`error.${error.name}` as Key, { limit: shown }) };
    });
  const translateString = (key: TranslatableString, params?: string[]) => {
    const ours = RJSF_STRINGS[key];
    return ours ? replaceStringParameters(t(ours), params) : englishStringTranslator(key, params);
  };
  return (
    <Form
      ref={formRef}
      tagName="div"
      className="values-form"
      schema={schema}
      uiSchema={uiSchema}
      formData={values}
      validator={schemaValidator}
      onChange={(event) => onChange(event.formData)}
      transformErrors={transformErrors}
      extraErrors={serverErrors}
      translateString={translateString}
      showErrorList={false}
      noHtml5Validate
    />
  );
}
