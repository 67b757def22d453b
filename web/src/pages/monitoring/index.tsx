// The monitoring page: charts of the series the gateway offers the user, by scope (nodes, one service,
// the platform's components), over a chosen range. Its own chunk: uPlot loads only when it is visited.
import { useId, useMemo } from "react";
import { useSearchParams } from "react-router";

import { useT } from "../../i18n";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import { useServices } from "../services/data";
import { align, RANGES, stepFor } from "./chartData";
import { Chart } from "./Chart";
import { messages } from "./messages";
import { type Scope, type SeriesInfo, type ServiceRef, unavailable, useSeries, useSeriesList, type Span } from "./metrics";

const SCOPES: Scope[] = ["node", "service", "component"];

export default function MonitoringPage() {
  const t = useT(messages);
  const id = useId();
  const [search, setSearch] = useSearchParams();
  const since = RANGES.includes(Number(search.get("range"))) ? Number(search.get("range")) : 3600;
  const span: Span = { since, step: stepFor(since) };
  const series = useSeriesList();
  const choose = (key: string, value: string) => {
    const next = new URLSearchParams(search);
    next.set(key, value);
    setSearch(next, { replace: true });
  };
  return (
    <>
      <h1>{t("title")}</h1>
      <p className="hint">{t("intro")}</p>
      <div className="actions">
        <label htmlFor={`${id}-range`} className="inline">
          {t("range")}
          <select id={`${id}-range`} value={since} onChange={(e) => choose("range", e.target.value)}>
            {RANGES.map((range) => (
              <option key={range} value={range}>
                {t(`range.${range}` as "range.900")}
              </option>
            ))}
          </select>
        </label>
      </div>
      {series.isPending && <Busy label={t("loading")} />}
      {series.isError && <Unavailable error={series.error} />}
      {series.data && series.data.length === 0 && <p>{t("none")}</p>}
      {series.data &&
        SCOPES.map((scope) => {
          const mine = series.data.filter((s) => s.scope === scope);
          if (mine.length === 0) return null;
          return (
            <section key={scope} aria-labelledby={`${id}-${scope}`} data-scope={scope}>
              <h2 id={`${id}-${scope}`}>{t(scope)}</h2>
              {scope === "service" ? (
                <ServiceCharts series={mine} span={span} service={search.get("service")} onService={(name) => choose("service", name)} />
              ) : (
                <Charts series={mine} span={span} />
              )}
            </section>
          );
        })}
    </>
  );
}

function Unavailable({ error }: { error: unknown }) {
  const t = useT(messages);
  const why = unavailable(error);
  if (why === null) return <ErrorNote error={error} />;
  const detail = error instanceof Error ? error.message : "";
  return (
    <div role="alert" className="error" data-unavailable={why}>
      <p>{why === "missing" ? t("missing") : t("unreachable", { detail })}</p>
      {why === "unreachable" && <p className="hint">{t("unreachableHint")}</p>}
    </div>
  );
}

function ServiceCharts(props: { series: SeriesInfo[]; span: Span; service: string | null; onService: (key: string) => void }) {
  const t = useT(messages);
  const id = useId();
  const services = useServices();
  // Each choice is "namespace/service": the same name may be a service of two of the user's teams.
  const choices = [...new Map((services.data ?? []).map((s) => [`${s.namespace}/${s.service}`, { service: s.service, namespace: s.namespace }])).entries()].sort(
    ([a], [b]) => a.localeCompare(b),
  );
  const chosen = choices.find(([key]) => key === props.service) ?? choices[0];
  if (services.isPending) return <Busy />;
  if (services.isError) return <ErrorNote error={services.error} />;
  if (!chosen) return <p>{t("noServices")}</p>;
  return (
    <>
      <label htmlFor={`${id}-service`} className="inline">
        {t("chooseService")}
        <select id={`${id}-service`} value={chosen[0]} onChange={(e) => props.onService(e.target.value)}>
          {choices.map(([key, ref]) => (
            <option key={key} value={key}>
              {ref.service} ({ref.namespace})
            </option>
          ))}
        </select>
      </label>
      <Charts series={props.series} span={props.span} service={chosen[1]} />
    </>
  );
}

function Charts({ series, span, service }: { series: SeriesInfo[]; span: Span; service?: ServiceRef }) {
  return (
    <div className="charts">
      {series.map((info) => (
        <SeriesCard key={info.name} info={info} span={span} service={service} />
      ))}
    </div>
  );
}

function SeriesCard({ info, span, service }: { info: SeriesInfo; span: Span; service?: ServiceRef }) {
  const t = useT(messages);
  const id = useId();
  const data = useSeries(info.name, span, service);
  const title = info.description || info.name;
  // Once per answer: a new object would draw the chart anew on every render.
  const aligned = useMemo(() => (data.data ? align(data.data.result, info.scope) : null), [data.data, info.scope]);
  return (
    <figure className="card chart-card" aria-labelledby={`${id}-title`} data-series={info.name}>
      <figcaption id={`${id}-title`}>
        <strong>{title}</strong> <code className="hint">{info.name}</code>
      </figcaption>
      {data.isPending && <Busy label={t("loadingSeries", { title })} />}
      {data.isError && <Unavailable error={data.error} />}
      {aligned && aligned.x.length === 0 && <p className="hint">{t("noData")}</p>}
      {aligned && aligned.x.length > 0 && <Chart data={aligned} unit={data.data?.unit || info.unit} title={title} since={span.since} />}
    </figure>
  );
}
