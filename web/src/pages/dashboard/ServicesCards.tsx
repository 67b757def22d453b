// Services by status and the newest apps: two cards from the dashboard's one request (GET /overview).
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";

import { useT } from "../../i18n";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import { isKnownStatus, messages } from "./messages";
import { overviewQuery } from "./queries";
import { statusCounts } from "./summary";

const SHOWN = 10; // the gateway's overview lists the ten most recently changed

function useServices() {
  return useQuery({ ...overviewQuery, select: (overview) => overview.services });
}

function useStatusName() {
  const t = useT(messages);
  return (status: string) => (isKnownStatus(status) ? t(status) : status);
}

export function StatusCard() {
  const t = useT(messages);
  const name = useStatusName();
  const services = useServices();
  return (
    <section className="card" aria-labelledby="by-status-title" data-card="status">
      <h2 id="by-status-title">{t("byStatus")}</h2>
      {services.isPending && <Busy label={t("loadingServices")} />}
      <ErrorNote error={services.error} />
      {services.data && (
        // data-figure: what benchmarks/console.py waits for (the dashboard's data rendered).
        <p data-figure="services-total" data-value={services.data.total}>
          {t("total", { count: services.data.total })}
        </p>
      )}
      {services.data && (
        <ul className="counts">
          {statusCounts(services.data.by_status).map(([status, count]) => (
            <li key={status} data-status={status} className={status === "running" ? "status-ok" : status === "failed" || status === "degraded" ? "status-bad" : ""}>
              <strong>{count}</strong> {name(status)}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function AppsCard() {
  const t = useT(messages);
  const name = useStatusName();
  const services = useServices();
  const list = services.data?.newest ?? [];
  return (
    <section className="card wide" aria-labelledby="apps-title" data-card="apps">
      <h2 id="apps-title">{t("apps")}</h2>
      {services.isPending && <Busy label={t("loadingServices")} />}
      <ErrorNote error={services.error} />
      {services.data && list.length === 0 && (
        <p>
          <Link to="/market">{t("noServices")}</Link>
        </p>
      )}
      {list.length > 0 && (
        <>
          <table>
            <thead>
              <tr>
                <th scope="col">{t("service")}</th>
                <th scope="col">{t("app")}</th>
                <th scope="col">{t("version")}</th>
                <th scope="col">{t("status")}</th>
              </tr>
            </thead>
            <tbody>
              {list.map((s) => (
                <tr key={`${s.namespace}/${s.service}`}>
                  <td>
                    <Link to={`/services/${encodeURIComponent(s.service)}?namespace=${encodeURIComponent(s.namespace)}`}>{s.service}</Link>
                  </td>
                  <td>{s.app}</td>
                  <td>{s.version ?? "—"}</td>
                  <td className={s.status === "running" ? "status-ok" : s.status === "failed" || s.status === "degraded" ? "status-bad" : ""} title={s.status_reason ?? undefined}>
                    {name(s.status)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {(services.data?.total ?? 0) > SHOWN && (
            <p className="hint">
              {t("atLeast", { count: SHOWN })} <Link to="/services">{t("allApps")}</Link>
            </p>
          )}
        </>
      )}
    </section>
  );
}
