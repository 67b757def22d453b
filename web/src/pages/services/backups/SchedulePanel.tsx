import { useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";

import { api, ApiError } from "../../../api";
import { useFormat, useT } from "../../../i18n";
import type { Operation } from "../../../operations";
import { Busy } from "../../../ui/Busy";
import { ErrorNote } from "../../../ui/ErrorNote";
import { OperationProgress } from "../../../ui/OperationProgress";
import { useCommand } from "./command";
import { type May, type Schedule, scheduleKey, type ServiceRef, servicePath, useSchedule } from "./data";
import { messages } from "./messages";
import { bodyOf, formOf, type ScheduleForm } from "./schedule";

/** The schedule (cron in a time zone) and its retention (keep the last N): shown to all, changed by admins.
 * The gateway checks the cron and the time zone; its 422 is shown at the field it names. */
export function SchedulePanel({ service, may }: { service: ServiceRef; may: May }) {
  const t = useT(messages);
  const format = useFormat();
  const schedule = useSchedule(service);
  const heading = useId();
  return (
    <section aria-labelledby={heading}>
      <h2 id={heading}>{t("scheduleTitle")}</h2>
      {schedule.isPending ? (
        <Busy />
      ) : schedule.isError ? (
        <ErrorNote error={schedule.error} />
      ) : (
        <>
          <p className="current-schedule">
            {schedule.data
              ? t("current", { cron: schedule.data.cron, timezone: schedule.data.timezone, keep: schedule.data.keep_last ?? t("keepAll") })
              : t("noSchedule")}
          </p>
          {schedule.data?.next_run_at && <p>{t("nextRun", { date: format.date(schedule.data.next_run_at) })}</p>}
          {schedule.data?.last_run_at && <p>{t("lastRun", { date: format.date(schedule.data.last_run_at) })}</p>}
          {may("admin") && <ScheduleEditor service={service} schedule={schedule.data} />}
        </>
      )}
    </section>
  );
}

function ScheduleEditor({ service, schedule }: { service: ServiceRef; schedule: Schedule | null }) {
  const t = useT(messages);
  const client = useQueryClient();
  const [form, setForm] = useState<ScheduleForm>(() => formOf(schedule));
  const command = useCommand();
  const ids = { cron: useId(), timezone: useId(), keep: useId() };
  const refresh = () => void client.invalidateQueries({ queryKey: scheduleKey(service) });
  const path = servicePath(service, "/backups/schedule");
  const fieldError = (field: string) => (command.error instanceof ApiError ? command.error.fieldMessage(field) : undefined);
  const field = (key: keyof ScheduleForm, field: string, id: string, label: string, hint: string, type = "text") => {
    const problem = fieldError(field);
    return (
      <div className="field">
        <label htmlFor={id}>{label}</label>
        <input
          id={id}
          type={type}
          min={type === "number" ? 1 : undefined}
          value={form[key]}
          onChange={(e) => setForm({ ...form, [key]: e.target.value })}
          aria-invalid={problem ? true : undefined}
          aria-describedby={`${id}-hint${problem ? ` ${id}-error` : ""}`}
          autoComplete="off"
          spellCheck={false}
        />
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
        {problem && (
          <p id={`${id}-error`} role="alert" className="error field-error">
            {problem}
          </p>
        )}
      </div>
    );
  };
  const fieldsNamed = command.error instanceof ApiError && ["cron", "timezone", "keep_last"].some((f) => fieldError(f));
  return (
    <form
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        command.run(() => api.put<Operation>(path, bodyOf(form, schedule?.drill ?? false)));
      }}
    >
      {field("cron", "cron", ids.cron, t("cron"), t("cronHint"))}
      {field("timezone", "timezone", ids.timezone, t("timezone"), t("timezoneHint"))}
      {field("keepLast", "keep_last", ids.keep, t("keepLast"), t("keepHint"), "number")}
      <div className="actions">
        <button type="submit" disabled={command.busy}>
          {t("saveSchedule")}
        </button>
        {schedule && (
          <button type="button" className="secondary" disabled={command.busy} onClick={() => command.run(() => api.delete<Operation>(path))}>
            {t("removeSchedule")}
          </button>
        )}
      </div>
      {/* A 422 naming fields is shown at them; anything else (403, the gateway away) here, where the user acted. */}
      {!fieldsNamed && <ErrorNote error={command.error} />}
      {command.operation && <OperationProgress id={command.operation} onEnded={refresh} />}
    </form>
  );
}
