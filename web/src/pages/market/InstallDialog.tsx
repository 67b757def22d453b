import type Form from "@rjsf/core";
import { useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useRef, useState } from "react";
import { Link } from "react-router";

import { api, ApiError, query } from "../../api";
import { useAuth } from "../../auth";
import { useT } from "../../i18n";
import type { Operation } from "../../operations";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import { OperationProgress } from "../../ui/OperationProgress";
import { useTeams } from "../../teams";
import { type AppDetail, useVersion } from "./api";
import { formMessages } from "./formMessages";
import { changedValues, valuesErrorSchema } from "./values";
import { focusFirstError, ValuesForm } from "./ValuesForm";

interface Props {
  app: AppDetail;
  version: string | undefined;
  repository?: string;
  onClose: () => void;
}

/** Install an app: its service name, the team it belongs to (those the user is an admin of: the gateway
 * lets only a team's admins install), the version, and the values from the version's schema. Once the
 * gateway accepts it, the operation is followed live here until the service runs (or why it did not). */
export default function InstallDialog({ app, version: initial, repository, onClose }: Props) {
  const t = useT(formMessages);
  const id = useId();
  const client = useQueryClient();
  const { can } = useAuth();
  const teams = useTeams();
  const allowed = (teams.data?.teams ?? []).filter((team) => can("admin", team.team));
  const [version, setVersion] = useState(initial);
  const detail = useVersion(app.name, version, repository);
  const [name, setName] = useState(app.name);
  const [team, setTeam] = useState<string>("");
  const [edited, setEdited] = useState<{ version: string | undefined; values: unknown }>();
  const [problem, setProblem] = useState<unknown>();
  const [sending, setSending] = useState(false);
  const [operation, setOperation] = useState<Operation>();
  const formRef = useRef<Form>(null);
  const defaults = detail.data?.values ?? {};
  const values = edited && edited.version === version ? edited.values : defaults;
  const chosenTeam = team || allowed[0]?.team || "";
  const apiError = problem instanceof ApiError ? problem : undefined;
  const nameMessage = problem === "name" ? t("nameMissing") : apiError?.fieldMessage("name");
  const teamMessage = apiError?.fieldMessage("team") ?? apiError?.fieldMessage("namespace");

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) return setProblem("name");
    setProblem(undefined);
    setSending(true);
    try {
      if (formRef.current && !formRef.current.validateForm()) {
        focusFirstError();
        return setProblem(new Error(t("fix")));
      }
      const body = { name: name.trim(), app: app.id, version, team: chosenTeam || undefined, values: changedValues(defaults, values) };
      setOperation(await api.post<Operation>("/services", body));
    } catch (error) {
      setProblem(error);
    } finally {
      setSending(false);
    }
  }

  const heading = `${id}-title`;
  if (operation) {
    const service = operation.target.service ?? name;
    return (
      <section role="dialog" aria-labelledby={heading} className="dialog">
        <h2 id={heading}>{t("dialog", { app: app.title || app.name })}</h2>
        <OperationProgress id={operation.operation_id} onEnded={() => void client.invalidateQueries({ queryKey: ["services"] })} />
        <div className="actions">
          <Link to={`/services/${encodeURIComponent(service)}${query({ namespace: operation.target.namespace })}`}>
            {t("openService", { name: service })}
          </Link>
          <button type="button" className="secondary" onClick={onClose}>
            {t("close")}
          </button>
        </div>
      </section>
    );
  }
  return (
    <section role="dialog" aria-labelledby={heading} className="dialog">
      <h2 id={heading}>{t("dialog", { app: app.title || app.name })}</h2>
      {teams.isSuccess && allowed.length === 0 ? <p role="alert" className="error">{t("noTeam")}</p> : null}
      <form onSubmit={(e) => void submit(e)} noValidate>
        <label htmlFor={`${id}-name`}>
          {t("name")}
          <input
            id={`${id}-name`}
            value={name}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={nameMessage ? true : undefined}
            aria-describedby={`${id}-name-hint`}
            autoComplete="off"
            required
          />
          <span id={`${id}-name-hint`} className={nameMessage ? "field-error" : "hint"}>
            {nameMessage ?? t("nameHint")}
          </span>
        </label>
        <label htmlFor={`${id}-team`}>
          {t("team")}
          <select
            id={`${id}-team`}
            value={chosenTeam}
            onChange={(e) => setTeam(e.target.value)}
            aria-invalid={teamMessage ? true : undefined}
            aria-describedby={teamMessage ? `${id}-team-error` : undefined}
          >
            {allowed.map((choice) => (
              <option key={choice.team} value={choice.team}>
                {choice.name}
              </option>
            ))}
          </select>
          {teamMessage ? (
            <span id={`${id}-team-error`} className="field-error">
              {teamMessage}
            </span>
          ) : null}
        </label>
        <label htmlFor={`${id}-version`}>
          {t("version")}
          <select id={`${id}-version`} value={version} onChange={(e) => setVersion(e.target.value)}>
            {app.version_list.map((v) => (
              <option key={v.version} value={v.version}>
                {v.version}
                {v.app_version ? ` (${v.app_version})` : ""}
              </option>
            ))}
          </select>
          {apiError?.fieldMessage("version") ? <span className="field-error">{apiError.fieldMessage("version")}</span> : null}
        </label>
        <fieldset className="values">
          <legend>{t("values")}</legend>
          <p className="hint">{t("valuesHint")}</p>
          <ErrorNote error={detail.error} />
          {detail.isPending ? (
            <Busy label={t("loadingValues")} />
          ) : detail.data?.schema ? (
            <ValuesForm
              key={version}
              schema={detail.data.schema}
              values={values}
              onChange={(next) => setEdited({ version, values: next })}
              serverErrors={valuesErrorSchema(apiError?.errors ?? [])}
              formRef={formRef}
            />
          ) : null}
        </fieldset>
        {problem && problem !== "name" ? <ErrorNote error={problem} /> : null}
        <div className="actions">
          <button type="submit" disabled={sending || detail.isPending || allowed.length === 0}>
            {sending ? t("sending") : t("install")}
          </button>
          <button type="button" className="secondary" onClick={onClose}>
            {t("cancel")}
          </button>
        </div>
      </form>
    </section>
  );
}
