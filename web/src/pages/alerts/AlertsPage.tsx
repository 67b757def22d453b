// Alerts, firing or past, with what the user may do about each (acknowledge, silence: a team's operators, the
// platform's admins), and the silences. The list follows the monitor's events live.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, Fragment, useId, useState } from "react";
import { useSearchParams } from "react-router";

import { api } from "../../api";
import { useAuth } from "../../auth";
import { useRefreshOn } from "../../refreshOn";
import { useFormat, useT } from "../../i18n";
import type { Operation } from "../../operations";
import { useTeamName } from "../../teams";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import { useCommandProgress } from "./commands";
import { isKnownSeverity, isKnownState, messages } from "./messages";
import { ALERT_LIMIT, ALERTS, type AlertFilters, SILENCES, useAlerts } from "./queries";
import { SilenceForm } from "./SilenceForm";
import { SilencesPanel } from "./SilencesPanel";
import { countBySeverity, startedAt } from "./summary";
import type { Alert } from "./types";

const STATES: AlertFilters["state"][] = ["firing", "active", "resolved", "all"];
const COLUMNS = 7;

function filtersOf(search: URLSearchParams): AlertFilters {
  const state = search.get("state");
  return {
    state: STATES.includes(state as AlertFilters["state"]) ? (state as AlertFilters["state"]) : "firing",
    severity: search.get("severity") || undefined,
    service: search.get("service") || undefined,
  };
}

export function AlertsPage() {
  const t = useT(messages);
  const client = useQueryClient();
  const [search, setSearch] = useSearchParams();
  const filters = filtersOf(search);
  const alerts = useAlerts(filters);
  const connection = useRefreshOn(
    "monitor",
    (type) => type.startsWith("monitor.alert.") || type.startsWith("monitor.silence."),
    () => {
      void client.invalidateQueries({ queryKey: ALERTS });
      void client.invalidateQueries({ queryKey: SILENCES });
    },
  );
  const { started, progress } = useCommandProgress([ALERTS, SILENCES]);
  return (
    <>
      <p className="hint">{t("intro")}</p>
      <p role="status" className={connection === "lost" ? "status-bad" : "hint"} data-connection={connection}>
        {t(connection === "live" ? "live" : connection)}
      </p>
      <FilterForm key={search.toString()} value={filters} onApply={(chosen) => setSearch(Object.fromEntries(Object.entries(chosen).filter(([, v]) => v)))} />
      {progress}
      <h2 id="alerts-list">{t("list")}</h2>
      {alerts.isPending && <Busy label={t("loading")} />}
      <ErrorNote error={alerts.error} />
      {alerts.data && <AlertTable alerts={alerts.data} onStarted={started} />}
      <SilencesPanel onStarted={started} />
    </>
  );
}

function FilterForm({ value, onApply }: { value: AlertFilters; onApply: (filters: AlertFilters) => void }) {
  const t = useT(messages);
  const id = useId();
  const [draft, setDraft] = useState(value);
  function submit(event: FormEvent) {
    event.preventDefault();
    onApply({ ...draft, service: draft.service?.trim() || undefined });
  }
  return (
    <form role="search" aria-label={t("filters")} className="card filters" onSubmit={submit}>
      <label htmlFor={`${id}-state`}>
        {t("state")}
        <select id={`${id}-state`} value={draft.state} onChange={(e) => setDraft({ ...draft, state: e.target.value as AlertFilters["state"] })}>
          {STATES.map((state) => (
            <option key={state} value={state}>
              {t(`state.${state}`)}
            </option>
          ))}
        </select>
      </label>
      <label htmlFor={`${id}-severity`}>
        {t("severity")}
        <select id={`${id}-severity`} value={draft.severity ?? ""} onChange={(e) => setDraft({ ...draft, severity: e.target.value || undefined })}>
          <option value="">{t("anySeverity")}</option>
          <option value="critical">{t("critical")}</option>
          <option value="warning">{t("warning")}</option>
          <option value="info">{t("info")}</option>
        </select>
      </label>
      <label htmlFor={`${id}-service`}>
        {t("service")}
        <input
          id={`${id}-service`}
          value={draft.service ?? ""}
          onChange={(e) => setDraft({ ...draft, service: e.target.value })}
          placeholder={t("serviceHint")}
          autoComplete="off"
        />
      </label>
      <div className="actions">
        <button type="submit">{t("apply")}</button>
      </div>
    </form>
  );
}

function AlertTable({ alerts, onStarted }: { alerts: Alert[]; onStarted: (operation: Operation) => void }) {
  const t = useT(messages);
  const format = useFormat();
  const teamName = useTeamName();
  const { canOn } = useAuth();
  const [silencing, setSilencing] = useState<Alert | null>(null);
  const acknowledge = useMutation({
    mutationFn: (alert: Alert) => api.post<Operation>(`/alerts/${encodeURIComponent(alert.alert_id)}/acknowledge`, {}),
    onSuccess: onStarted,
  });
  const severityName = (severity: string) => (isKnownSeverity(severity) ? t(severity) : severity);
  if (alerts.length === 0) return <p>{t("none")}</p>;
  return (
    <>
      <ul className="counts" aria-label={t("counts")}>
        {countBySeverity(alerts).map(([severity, count]) => (
          <li key={severity} data-severity={severity} className={severity === "critical" && count ? "status-bad" : ""}>
            <strong>{count}</strong> {severityName(severity)}
          </li>
        ))}
      </ul>
      {alerts.length >= ALERT_LIMIT && <p className="hint">{t("limited", { count: ALERT_LIMIT })}</p>}
      <ErrorNote error={acknowledge.error} />
      <table aria-labelledby="alerts-list">
        <thead>
          <tr>
            <th scope="col">{t("severity")}</th>
            <th scope="col">{t("alert")}</th>
            <th scope="col">{t("service")}</th>
            <th scope="col">{t("team")}</th>
            <th scope="col">{t("state")}</th>
            <th scope="col">{t("since")}</th>
            <th scope="col">{t("actions")}</th>
          </tr>
        </thead>
        <tbody>
          {alerts.map((alert) => {
            const open = alert.state !== "resolved";
            const mayAct = open && canOn("operator", alert.team);
            return (
              <Fragment key={alert.alert_id}>
                <tr data-alert={alert.rule} data-state={alert.state} data-severity={alert.severity}>
                  <td className={alert.severity === "critical" ? "status-bad" : ""}>{severityName(alert.severity)}</td>
                  <td>
                    <strong>{alert.rule}</strong>
                    {alert.summary && <div>{alert.summary}</div>}
                    <details>
                      <summary>{t("labels")}</summary>
                      <ul className="plain labels">
                        {Object.entries(alert.labels).map(([name, value]) => (
                          <li key={name}>
                            <code>
                              {name}={value}
                            </code>
                          </li>
                        ))}
                      </ul>
                    </details>
                  </td>
                  <td>{alert.service ? `${alert.service}${alert.namespace ? ` (${alert.namespace})` : ""}` : "—"}</td>
                  <td>{alert.team ? teamName(alert.team) : t("platform")}</td>
                  <td>
                    <div>{isKnownState(alert.state) ? t(alert.state) : alert.state}</div>
                    {alert.silenced && <span className="tag">{t("silenced")}</span>}
                    {alert.acknowledged_by && <div className="hint">{t("acknowledgedBy", { name: alert.acknowledged_by })}</div>}
                  </td>
                  <td>
                    <time dateTime={startedAt(alert) ?? undefined}>{format.date(startedAt(alert))}</time>
                    {alert.resolved_at && (
                      <div className="hint">
                        {t("resolvedAt")}: <time dateTime={alert.resolved_at}>{format.date(alert.resolved_at)}</time>
                      </div>
                    )}
                  </td>
                  <td>
                    {mayAct && (
                      <div className="actions compact">
                        {!alert.acknowledged_at && (
                          <button
                            type="button"
                            className="secondary"
                            disabled={acknowledge.isPending}
                            aria-label={t("acknowledgeOne", { name: alert.rule })}
                            onClick={() => acknowledge.mutate(alert)}
                          >
                            {t("acknowledge")}
                          </button>
                        )}
                        <button
                          type="button"
                          className="secondary"
                          aria-expanded={silencing?.alert_id === alert.alert_id}
                          aria-label={t("silenceOne", { name: alert.rule })}
                          onClick={() => setSilencing(silencing?.alert_id === alert.alert_id ? null : alert)}
                        >
                          {t("silence")}
                        </button>
                      </div>
                    )}
                  </td>
                </tr>
                {silencing?.alert_id === alert.alert_id && (
                  <tr>
                    <td colSpan={COLUMNS}>
                      <SilenceForm
                        alert={alert}
                        onDone={(operation) => {
                          setSilencing(null);
                          onStarted(operation);
                        }}
                        onCancel={() => setSilencing(null)}
                      />
                    </td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </>
  );
}
