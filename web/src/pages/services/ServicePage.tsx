import { NavLink, Outlet, useOutletContext, useParams, useSearchParams } from "react-router";

import { defineMessages, useT } from "../../i18n";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import { type ServiceDetail, useService } from "./data";
import { Status } from "./Status";

const messages = defineMessages({
  en: {
    back: "All services",
    tabs: "Service sections",
    overview: "Overview",
    backups: "Backups",
    access: "Access",
    summary: "{app} {version} in namespace {namespace}",
    team: "Team {team}",
    revision: "revision {revision}",
    loading: "Loading {name}…",
  },
  "zh-CN": {
    back: "全部服务",
    tabs: "服务页面",
    overview: "概览",
    backups: "备份",
    access: "访问",
    summary: "{app} {version}，命名空间 {namespace}",
    team: "团队 {team}",
    revision: "修订版本 {revision}",
    loading: "正在加载 {name}…",
  },
});

/** What the tabs of a service page are given: the service (as last fetched) and its namespace. */
export interface ServiceContext {
  service: ServiceDetail;
  namespace: string;
}

/** The service of the page, for its tabs (the overview, the backups). */
export function useServiceContext(): ServiceContext {
  return useOutletContext<ServiceContext>();
}

/** /services/:name?namespace=…: the service's name, status and tabs; the tab below. */
export function ServicePage() {
  const t = useT(messages);
  const name = useParams().name ?? "";
  const [search] = useSearchParams();
  const detail = useService(name, search.get("namespace"));
  const service = detail.data;
  const tail = service ? `?namespace=${encodeURIComponent(service.namespace)}` : "";
  return (
    <>
      <p>
        <NavLink to="/services">{t("back")}</NavLink>
      </p>
      <h1>{name}</h1>
      {detail.error ? <ErrorNote error={detail.error} /> : null}
      {!service ? (
        detail.isPending ? <Busy label={t("loading", { name })} /> : null
      ) : (
        <>
          <p className="service-summary">
            <Status status={service.status} />
            {service.status_reason ? <span> — {service.status_reason}</span> : null}
            <span> · {t("summary", { app: service.app, version: service.version ?? "—", namespace: service.namespace })}</span>
            {service.team ? <span> · {t("team", { team: service.team })}</span> : null}
            {service.revision ? <span> · {t("revision", { revision: service.revision })}</span> : null}
          </p>
          <nav aria-label={t("tabs")} className="tabs">
            <NavLink to={`.${tail}`} end>
              {t("overview")}
            </NavLink>
            <NavLink to={`access${tail}`}>{t("access")}</NavLink>
            <NavLink to={`backups${tail}`}>{t("backups")}</NavLink>
          </nav>
          <Outlet context={{ service, namespace: service.namespace } satisfies ServiceContext} />
        </>
      )}
    </>
  );
}
