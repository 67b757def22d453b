import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { Link } from "react-router";

import { ApiError, query } from "../../../api";
import { useAuth } from "../../../auth";
import { useT } from "../../../i18n";
import type { Operation } from "../../../operations";
import { useTeams } from "../../../teams";
import { ErrorNote } from "../../../ui/ErrorNote";
import { OperationProgress } from "../../../ui/OperationProgress";
import { messages } from "./messages";
import { importBody, type ImportForm, importProblems, NAME_MAX, refusedField, uploadImport } from "./transfer";

type Key = keyof (typeof messages)["en"];
const FIELDS = ["bundle", "name", "team", "passphrase", "domains"] as const;

/** Import a bundle as a new service: the file, its new name, the team it goes to (those the user is an admin
 * of, as for an install), the passphrase it was exported with and whether its custom domains come along.
 * The upload's progress, then the import's operation, are followed here; a link opens the new service. */
export default function ImportDialog({ onClose }: { onClose: () => void }) {
  const t = useT(messages);
  const id = useId();
  const heading = `${id}-title`;
  const client = useQueryClient();
  const { can } = useAuth();
  const teams = useTeams();
  const allowed = (teams.data?.teams ?? []).filter((team) => can("admin", team.team));
  const [form, setForm] = useState<ImportForm>({ file: null, name: "", team: "", passphrase: "", domains: true });
  const [checked, setChecked] = useState(false);
  const [sent, setSent] = useState<number | null>(null); // the fraction of the upload sent
  const [operation, setOperation] = useState<Operation | null>(null);
  const [outcome, setOutcome] = useState<Operation | null>(null);
  const chosenTeam = form.team || allowed[0]?.team || "";
  const upload = useMutation({
    mutationFn: (body: FormData) => uploadImport(body, setSent),
    onMutate: () => setSent(0),
    onSuccess: (answer) => setOperation(answer),
    onError: (error) => {
      // To the field refused (a name taken is the name's; a file too large, the file's), for the user to fix.
      const status = error instanceof ApiError ? error.status : 0;
      const field = refusedField(error, FIELDS) ?? (status === 409 ? "name" : status === 413 ? "bundle" : undefined);
      if (field) setTimeout(() => document.getElementById(`${id}-${field}`)?.focus());
    },
    onSettled: () => setSent(null),
  });
  const set = (change: Partial<ImportForm>) => setForm((f) => ({ ...f, ...change }));

  function submit(event: FormEvent) {
    event.preventDefault();
    setChecked(true);
    const problems = importProblems(form);
    const first = (["bundle", "name", "passphrase"] as const).find((field) => problems[field]);
    if (first) {
      document.getElementById(`${id}-${first}`)?.focus();
      return;
    }
    upload.mutate(importBody({ ...form, team: chosenTeam }));
  }

  const problems = checked ? importProblems(form) : {};
  const refused = upload.error instanceof ApiError ? upload.error : undefined;
  const at = (field: string) => refused?.fieldMessage(field);
  const fieldMessages = {
    bundle: problems.bundle ? t(problems.bundle) : (at("bundle") ?? (refused?.status === 413 ? refused.detail || t("tooLarge") : undefined)),
    name: problems.name ? t(problems.name) : (at("name") ?? (refused?.status === 409 ? refused.detail || t("nameTaken") : undefined)),
    team: at("team") ?? at("namespace"),
    passphrase: problems.passphrase ? t(problems.passphrase) : at("passphrase"),
    domains: at("domains"),
  };
  const serverAtField = refused && FIELDS.some((f) => fieldMessages[f] && !problems[f as keyof typeof problems]);
  const generalError = upload.error && !serverAtField ? upload.error : null;
  const describedBy = (field: keyof typeof fieldMessages, hint?: boolean) =>
    fieldMessages[field] ? `${id}-${field}-error` : hint ? `${id}-${field}-hint` : undefined;
  const note = (field: keyof typeof fieldMessages, hint?: Key) =>
    fieldMessages[field] ? (
      <span id={`${id}-${field}-error`} className="field-error">
        {fieldMessages[field]}
      </span>
    ) : hint ? (
      <span id={`${id}-${field}-hint`} className="hint">
        {t(hint)}
      </span>
    ) : null;
  const created = operation ? (outcome?.target.service ?? operation.target.service ?? form.name.trim()) : "";

  return (
    <section role="dialog" aria-labelledby={heading} className="dialog import-dialog">
      <h2 id={heading}>{t("importTitle")}</h2>
      {/* Hidden, not unmounted, while the import runs: "try again" finds the file still chosen. */}
      <form onSubmit={submit} noValidate hidden={operation !== null}>
        <p className="hint">{t("importHow")}</p>
        {teams.isSuccess && allowed.length === 0 ? (
          <p role="alert" className="error">
            {t("noTeam")}
          </p>
        ) : null}
        <div className="field">
          <label htmlFor={`${id}-bundle`}>{t("bundle")}</label>
          <input
            id={`${id}-bundle`}
            type="file"
            accept=".qcb"
            onChange={(e) => set({ file: e.target.files?.[0] ?? null })}
            required
            aria-invalid={fieldMessages.bundle ? true : undefined}
            aria-describedby={describedBy("bundle")}
          />
          {note("bundle")}
        </div>
        <div className="field">
          <label htmlFor={`${id}-name`}>{t("name")}</label>
          <input
            id={`${id}-name`}
            value={form.name}
            onChange={(e) => set({ name: e.target.value })}
            autoComplete="off"
            maxLength={NAME_MAX}
            required
            aria-invalid={fieldMessages.name ? true : undefined}
            aria-describedby={describedBy("name", true)}
          />
          {note("name", "nameHint")}
        </div>
        <div className="field">
          <label htmlFor={`${id}-team`}>{t("team")}</label>
          <select
            id={`${id}-team`}
            value={chosenTeam}
            onChange={(e) => set({ team: e.target.value })}
            aria-invalid={fieldMessages.team ? true : undefined}
            aria-describedby={describedBy("team")}
          >
            {allowed.map((choice) => (
              <option key={choice.team} value={choice.team}>
                {choice.name}
              </option>
            ))}
          </select>
          {note("team")}
        </div>
        <div className="field">
          <label htmlFor={`${id}-passphrase`}>{t("passphrase")}</label>
          <input
            id={`${id}-passphrase`}
            type="password"
            value={form.passphrase}
            onChange={(e) => set({ passphrase: e.target.value })}
            autoComplete="off"
            required
            aria-invalid={fieldMessages.passphrase ? true : undefined}
            aria-describedby={describedBy("passphrase", true)}
          />
          {note("passphrase", "importPassphraseHint")}
        </div>
        <label className="inline" htmlFor={`${id}-domains`}>
          <input
            id={`${id}-domains`}
            type="checkbox"
            checked={form.domains}
            onChange={(e) => set({ domains: e.target.checked })}
            aria-describedby={describedBy("domains", true)}
          />
          {t("domains")}
        </label>
        {note("domains", "domainsHint")}
        {sent !== null ? (
          <p role="status" aria-live="polite">
            <progress max={1} value={sent} aria-label={t("uploading")} /> {t("uploaded", { percent: Math.round(sent * 100) })}
          </p>
        ) : null}
        {generalError ? <ErrorNote error={generalError} /> : null}
        <div className="actions">
          <button type="submit" disabled={upload.isPending || (teams.isSuccess && allowed.length === 0)}>
            {upload.isPending ? t("uploading") : t("import")}
          </button>
          <button type="button" className="secondary" onClick={onClose}>
            {t("cancel")}
          </button>
        </div>
      </form>
      {operation ? (
        <>
          <OperationProgress
            id={operation.operation_id}
            onEnded={(ended) => {
              setOutcome(ended);
              void client.invalidateQueries({ queryKey: ["services"] });
            }}
          />
          {outcome?.state === "succeeded" ? (
            <p className="status-ok">
              {t("imported", { name: created })}{" "}
              <Link to={`/services/${encodeURIComponent(created)}${query({ namespace: outcome.target.namespace })}`}>{t("openService", { name: created })}</Link>
            </p>
          ) : outcome?.state === "failed" ? (
            <p className="hint">{t("importFailed")}</p>
          ) : null}
          <div className="actions">
            {outcome?.state === "failed" ? (
              <button
                type="button"
                onClick={() => {
                  upload.reset();
                  setOperation(null);
                  setOutcome(null);
                }}
              >
                {t("retry")}
              </button>
            ) : null}
            <button type="button" className="secondary" onClick={onClose}>
              {t("close")}
            </button>
          </div>
        </>
      ) : null}
    </section>
  );
}
