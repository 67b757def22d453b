// Nodes, CPU, memory and storage: what the pods request against what there is (the overview's resources).
import { useQuery } from "@tanstack/react-query";

import { useFormat, useLocale, useT } from "../../i18n";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import { messages } from "./messages";
import { overviewQuery } from "./queries";
import { cores, percent, type Usage } from "./summary";

export function ResourcesCard() {
  const t = useT(messages);
  const format = useFormat();
  const { locale } = useLocale();
  const resources = useQuery({ ...overviewQuery, select: (overview) => overview.resources });
  const data = resources.data;
  const size = (usage: Usage) =>
    usage.capacity === null
      ? t("sizeUnknown", { used: format.bytes(usage.requested) })
      : t("sizeUsage", { used: format.bytes(usage.requested), capacity: format.bytes(usage.capacity) });
  return (
    <section className="card" aria-labelledby="resources-title" data-card="resources">
      <h2 id="resources-title">{t("resources")}</h2>
      {resources.isPending && <Busy label={t("loadingResources")} />}
      <ErrorNote error={resources.error} />
      {data && (
        <>
          <p className="hint">{t("resourcesHint", { runtime: data.runtime })}</p>
          <dl className="resources">
            <div>
              <dt>{t("nodes")}</dt>
              <dd data-resource="nodes">{t("nodesReady", { ready: data.nodes_ready, total: data.nodes })}</dd>
            </div>
            <Resource label={t("cpu")} usage={data.cpu} text={t("cpuUsage", { used: cores(data.cpu.requested, locale), capacity: cores(data.cpu.capacity ?? 0, locale) })} />
            <Resource label={t("memory")} usage={data.memory} text={size(data.memory)} />
            <Resource label={t("storage")} usage={data.storage} text={size(data.storage)} />
          </dl>
        </>
      )}
    </section>
  );
}

function Resource({ label, usage, text }: { label: string; usage: Usage; text: string }) {
  const t = useT(messages);
  const share = percent(usage);
  return (
    <div>
      <dt>{label}</dt>
      <dd data-resource={label}>
        {text}
        {share !== null && (
          <meter min={0} max={100} value={share} high={85} aria-label={`${label}: ${t("share", { share })}`} title={t("share", { share })} />
        )}
      </dd>
    </div>
  );
}
