import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";

import { api, ApiError } from "../../../api";
import { useFormat, useT } from "../../../i18n";
import type { Operation } from "../../../operations";
import { Busy } from "../../../ui/Busy";
import { ErrorNote } from "../../../ui/ErrorNote";
import { OperationProgress } from "../../../ui/OperationProgress";
import { messages } from "./messages";
import {
  downloadExport,
  exportBody,
  type ExportForm,
  type ExportFormat,
  exportPath,
  exportProblems,
  fallbackFilename,
  PASSPHRASE_MAX,
  PASSPHRASE_MIN,
  refusedField,
} from "./transfer";

interface Props {
  service: { service: string; namespace: string };
  onClose: () => void;
}

const EMPTY: ExportForm = { format: "quickon", passphrase: "", confirmation: "" };

/** Export a service (its team's admins): the format, a passphrase typed twice for a bundle, then the
 * export's operation followed live here and, once it has succeeded, its file to download. */
export default function ExportDialog({ service, onClose }: Props) {
  const t = useT(messages);
  const id = useId();
  const heading = `${id}-title`;
  const [form, setForm] = useState<ExportForm>(EMPTY);
  const [checked, setChecked] = useState(false); // problems are shown once the user tried to start
  const [operation, setOperation] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Operation | null>(null);
  const start = useMutation({
    mutationFn: (body: ReturnType<typeof exportBody>) => api.post<Operation>(exportPath(service.service, service.namespace), body),
    onSuccess: (answer) => setOperation(answer.operation_id),
    onError: (error) => {
      if (refusedField(error, ["passphrase"] as const)) setTimeout(() => document.getElementById(`${id}-passphrase`)?.focus());
    },
  });
  const again = () => {
    start.reset();
    setOperation(null);
    setOutcome(null);
    setChecked(false);
    setForm((f) => ({ ...f, passphrase: "", confirmation: "" }));
  };

  function submit(event: FormEvent) {
    event.preventDefault();
    setChecked(true);
    if (Object.keys(exportProblems(form)).length) {
      document.getElementById(`${id}-passphrase`)?.focus();
      return;
    }
    start.mutate(exportBody(form));
  }

  const problems = checked ? exportProblems(form) : {};
  const refused = start.error instanceof ApiError ? start.error : undefined;
  const problemText = (key: string | undefined) => (key ? t(key as keyof (typeof messages)["en"], { min: PASSPHRASE_MIN, max: PASSPHRASE_MAX }) : undefined);
  const refusedPassphrase = form.format === "quickon" ? refused?.fieldMessage("passphrase") : undefined;
  const passphraseMessage = problemText(problems.passphrase) ?? refusedPassphrase;
  const confirmationMessage = problemText(problems.confirmation);
  const formatMessage = refused?.fieldMessage("format");
  // A refusal is shown at the field the gateway named, else below the form.
  const generalError = start.error && !refusedPassphrase && !formatMessage ? start.error : null;
  const set = (change: Partial<ExportForm>) => setForm((f) => ({ ...f, ...change }));

  return (
    <section role="dialog" aria-labelledby={heading} className="dialog export-dialog">
      <h2 id={heading}>{t("exportTitle", { name: service.service })}</h2>
      {operation === null ? (
        <form onSubmit={submit} noValidate>
          <p className="hint">{t("exportHow", { name: service.service })}</p>
          <fieldset aria-describedby={formatMessage ? `${id}-format-error` : undefined}>
            <legend>{t("format")}</legend>
            {(["quickon", "helm"] as ExportFormat[]).map((format) => (
              <div key={format} className="format-choice">
                <label className="choice">
                  <input
                    type="radio"
                    name={`${id}-format`}
                    value={format}
                    checked={form.format === format}
                    onChange={() => set({ format })}
                    aria-describedby={`${id}-${format}-hint`}
                  />
                  {t(format)}
                </label>
                <p id={`${id}-${format}-hint`} className="hint">
                  {t(format === "quickon" ? "quickonHint" : "helmHint")}
                </p>
              </div>
            ))}
            {formatMessage ? (
              <p id={`${id}-format-error`} className="field-error">
                {formatMessage}
              </p>
            ) : null}
          </fieldset>
          {form.format === "quickon" ? (
            <>
              <div className="field">
                <label htmlFor={`${id}-passphrase`}>{t("passphrase")}</label>
                <input
                  id={`${id}-passphrase`}
                  type="password"
                  value={form.passphrase}
                  onChange={(e) => set({ passphrase: e.target.value })}
                  autoComplete="new-password"
                  maxLength={PASSPHRASE_MAX}
                  required
                  aria-invalid={passphraseMessage ? true : undefined}
                  aria-describedby={`${id}-passphrase-note`}
                />
                <span id={`${id}-passphrase-note`} className={passphraseMessage ? "field-error" : "hint"}>
                  {passphraseMessage ?? t("passphraseHint", { min: PASSPHRASE_MIN })}
                </span>
              </div>
              <div className="field">
                <label htmlFor={`${id}-confirmation`}>{t("confirmation")}</label>
                <input
                  id={`${id}-confirmation`}
                  type="password"
                  value={form.confirmation}
                  onChange={(e) => set({ confirmation: e.target.value })}
                  autoComplete="new-password"
                  maxLength={PASSPHRASE_MAX}
                  required
                  aria-invalid={confirmationMessage ? true : undefined}
                  aria-describedby={confirmationMessage ? `${id}-confirmation-error` : undefined}
                />
                {confirmationMessage ? (
                  <span id={`${id}-confirmation-error`} className="field-error">
                    {confirmationMessage}
                  </span>
                ) : null}
              </div>
            </>
          ) : null}
          {generalError ? <ErrorNote error={generalError} /> : null}
          <div className="actions">
            <button type="submit" disabled={start.isPending}>
              {start.isPending ? t("starting") : t("start")}
            </button>
            <button type="button" className="secondary" onClick={onClose}>
              {t("cancel")}
            </button>
          </div>
        </form>
      ) : (
        <>
          <OperationProgress id={operation} onEnded={setOutcome} />
          {outcome?.state === "succeeded" ? (
            <Download service={service} operation={outcome} format={form.format} onAgain={again} />
          ) : outcome?.state === "failed" ? (
            <p className="hint">{t("exportFailed")}</p>
          ) : null}
          <div className="actions">
            {outcome?.state === "failed" ? (
              <button type="button" onClick={again}>
                {t("again")}
              </button>
            ) : null}
            <button type="button" className="secondary" onClick={onClose}>
              {t("close")}
            </button>
          </div>
        </>
      )}
    </section>
  );
}

/** The succeeded export's file, fetched with the session's token and saved; an expired one says to export again. */
function Download({ service, operation, format, onAgain }: { service: Props["service"]; operation: Operation; format: ExportFormat; onAgain: () => void }) {
  const t = useT(messages);
  const sizes = useFormat();
  const result = operation.result ?? {};
  const named = typeof result.filename === "string" ? result.filename : undefined;
  const size = typeof result.size_bytes === "number" ? result.size_bytes : undefined;
  const fetchFile = useMutation({
    mutationFn: () =>
      downloadExport(exportPath(service.service, service.namespace, operation.operation_id), named ?? fallbackFilename(service.service, format)),
  });
  const expired = fetchFile.error instanceof ApiError && fetchFile.error.status === 410;
  return (
    <div className="export-download">
      <p role="status" className="status-ok">
        {named && size !== undefined ? t("readyAs", { filename: named, size: sizes.bytes(size) }) : t("ready")}
      </p>
      <p className="hint">{t("kept")}</p>
      <div className="actions">
        <button type="button" onClick={() => fetchFile.mutate()} disabled={fetchFile.isPending}>
          {t("download")}
          {named ? ` ${named}` : ""}
        </button>
        {expired ? (
          <button type="button" className="secondary" onClick={onAgain}>
            {t("again")}
          </button>
        ) : null}
      </div>
      {fetchFile.isPending ? <Busy label={t("downloading")} /> : null}
      {expired ? (
        <p role="alert" className="error">
          {t("expired")}
        </p>
      ) : (
        <ErrorNote error={fetchFile.error} />
      )}
      {fetchFile.data ? (
        <p role="status" className="status-ok">
          {t("downloaded", { filename: fetchFile.data.filename, size: sizes.bytes(fetchFile.data.bytes) })}
        </p>
      ) : null}
    </div>
  );
}
