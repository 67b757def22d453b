import { lazy, Suspense, useId, useMemo, useState } from "react";
import { Link, useLocation } from "react-router";

import { useAuth } from "../../auth";
import { defineMessages, useFormat, useT } from "../../i18n";
import { useTeamName } from "../../teams";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import { useServices } from "./data";
import { choices, matcher } from "./filter";
import { ServiceTable } from "./ServiceTable";
import { useStatusLabel } from "./Status";

// Loaded when first opened: the list is the services area's first page, the import is rare.
const ImportDialog = lazy(() => import("./transfer/ImportDialog"));

const messages = defineMessages({
  en: {
    title: "Services",
    filter: "Filter services",
    filterHint: "Name, app, namespace, version or team",
    team: "Team",
    status: "Status",
    every: "All",
    shown: "{shown} of {total} services",
    none: "No service yet.",
    install: "Install one from the market",
    market: "Install from the market",
    import: "Import a service",
    noMatch: "No service matches this filter.",
    loading: "Loading the services…",
    uninstalled: "{name} is uninstalled.",
  },
  "zh-CN": {
    title: "服务",
    filter: "筛选服务",
    filterHint: "名称、应用、命名空间、版本或团队",
    team: "团队",
    status: "状态",
    every: "全部",
    shown: "共 {total} 个服务，显示 {shown} 个",
    none: "还没有服务。",
    install: "去应用市场安装一个",
    market: "从应用市场安装",
    import: "导入服务",
    noMatch: "没有符合筛选条件的服务。",
    loading: "正在加载服务…",
    uninstalled: "{name} 已卸载。",
  },
});

/** The services the user may see, filtered on the client (by text, team and status) as they type. */
export function ServiceList() {
  const t = useT(messages);
  const format = useFormat();
  const statusLabel = useStatusLabel();
  const services = useServices();
  const uninstalled = (useLocation().state as { uninstalled?: string } | null)?.uninstalled;
  const [text, setText] = useState("");
  const [team, setTeam] = useState("");
  const [status, setStatus] = useState("");
  const filterId = useId();
  const all = services.data;
  const shown = useMemo(() => (all ?? []).filter(matcher({ text: text, team, status })), [all, text, team, status]);
  const teamName = useTeamName();
  const teamChoices = useMemo(() => choices(all ?? [], "team"), [all]);
  const statusChoices = useMemo(() => choices(all ?? [], "status"), [all]);
  const { can } = useAuth();
  const [importing, setImporting] = useState(false);

  return (
    <>
      <h1>{t("title")}</h1>
      <div className="actions">
        <Link to="/market">{t("market")}</Link>
        {/* Team admins install, so they import (into a team they are an admin of). */}
        {can("admin") ? (
          <button type="button" className="secondary" onClick={() => setImporting(true)} aria-expanded={importing}>
            {t("import")}
          </button>
        ) : null}
      </div>
      {importing ? (
        <Suspense fallback={<Busy />}>
          <ImportDialog onClose={() => setImporting(false)} />
        </Suspense>
      ) : null}
      {uninstalled ? (
        <p role="status" className="status-ok">
          {t("uninstalled", { name: uninstalled })}
        </p>
      ) : null}
      <div className="filters" role="search">
        <div>
          <label htmlFor={filterId}>{t("filter")}</label>
          <input id={filterId} type="search" value={text} onChange={(e) => setText(e.target.value)} aria-describedby={`${filterId}-hint`} autoComplete="off" />
          <p id={`${filterId}-hint`} className="hint">
            {t("filterHint")}
          </p>
        </div>
        <label>
          {t("team")}
          <select value={team} onChange={(e) => setTeam(e.target.value)}>
            <option value="">{t("every")}</option>
            {teamChoices.map((id) => (
              <option key={id} value={id}>
                {teamName(id)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("status")}
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">{t("every")}</option>
            {statusChoices.map((s) => (
              <option key={s} value={s}>
                {statusLabel(s)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {services.error ? <ErrorNote error={services.error} /> : null}
      {!all ? (
        services.isPending ? <Busy label={t("loading")} /> : null
      ) : all.length === 0 ? (
        <p>
          {t("none")} <Link to="/market">{t("install")}</Link>
        </p>
      ) : (
        <>
          <p role="status" aria-live="polite" className="hint">
            {shown.length ? t("shown", { shown: format.number(shown.length), total: format.number(all.length) }) : t("noMatch")}
          </p>
          {shown.length ? <ServiceTable services={shown} teamName={teamName} /> : null}
        </>
      )}
    </>
  );
}
