// Alerts firing now: how many of each severity, the newest few, a way to all of them. Asked for only once the
// overview has answered, so the dashboard's first figures never wait behind it (index.html asks for the
// overview early; this one is not worth delaying that).
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";

import { useFormat, useT } from "../../i18n";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import { countBySeverity, newest, startedAt } from "../alerts/summary";
import { isKnownSeverity, messages } from "./messages";
import { alertsQuery, overviewQuery } from "./queries";

const SHOWN = 5;

export function AlertsCard() {
  const t = useT(messages);
  const format = useFormat();
  const overview = useQuery({ ...overviewQuery, select: () => true });
  const alerts = useQuery({ ...alertsQuery, enabled: !overview.isPending });
  const firing = alerts.data?.alerts;
  return (
    <section className="card" aria-labelledby="alerts-title" data-card="alerts">
      <h2 id="alerts-title">{t("alerts")}</h2>
      {alerts.isPending && <Busy label={t("loadingAlerts")} />}
      <ErrorNote error={alerts.error} />
      {firing && (
        <>
          <ul className="counts">
            {countBySeverity(firing).map(([severity, count]) => (
              <li key={severity} data-severity={severity} className={severity === "critical" && count > 0 ? "status-bad" : ""}>
                <Link to={`/alerts?state=firing&severity=${encodeURIComponent(severity)}`} aria-label={t("firingOf", { count, severity: isKnownSeverity(severity) ? t(severity) : severity })}>
                  <strong>{count}</strong> {isKnownSeverity(severity) ? t(severity) : severity}
                </Link>
              </li>
            ))}
          </ul>
          {firing.length === 0 ? (
            <p className="status-ok">{t("noAlerts")}</p>
          ) : (
            <ul className="plain newest-alerts">
              {newest(firing, SHOWN).map((alert) => (
                <li key={alert.alert_id} data-alert={alert.rule}>
                  <strong className={alert.severity === "critical" ? "status-bad" : ""}>{alert.rule}</strong> {alert.summary}{" "}
                  <time className="hint" dateTime={startedAt(alert) ?? undefined}>
                    {format.date(startedAt(alert))}
                  </time>
                </li>
              ))}
            </ul>
          )}
          <p>
            <Link to="/alerts">{t("allAlerts")}</Link>
          </p>
        </>
      )}
    </section>
  );
}
