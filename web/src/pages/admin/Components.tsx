// The platform's own services: whether each answers, whether it is ready (and why not), its version, and each
// of its replicas (every replica answers the gateway's question, so each is listed with its own state); the
// replicas its Deployment asks for, which an admin scales here (an operation followed live, as a node's cordon).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { api } from "../../api";
import { defineMessages, useT } from "../../i18n";
import type { Operation } from "../../operations";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import { OperationProgress } from "../../ui/OperationProgress";
import { checkReplicas, REPLICAS_MAX, REPLICAS_MIN } from "./scale";
import type { Component } from "./types";

const messages = defineMessages({
  en: {
    title: "Platform health",
    hint: "Each QuickOn service is asked over NATS; one that does not answer within 2 seconds is down.",
    service: "Service",
    replicas: "Replicas",
    backlog: "{count} events not yet published",
    leads: "leads: runs the periodic jobs",
    state: "State",
    version: "Version",
    detail: "Detail",
    ready: "ready",
    notReady: "not ready",
    down: "down",
    check: "Check again",
    loading: "Asking every service…",
    desired: "Desired",
    scale: "Scale",
    replicasOf: "Replicas of {service}",
    whole: "Type a whole number of replicas.",
    range: "A component runs 1 to 20 replicas.",
    same: "It asks for that many already.",
    busy: "a scale is running",
  },
  "zh-CN": {
    title: "平台组件状态",
    hint: "通过 NATS 询问每个 QuickOn 服务；2 秒内没有应答即视为停止。",
    service: "服务",
    replicas: "副本",
    backlog: "{count} 个事件尚未发布",
    leads: "主副本：运行定时任务",
    state: "状态",
    version: "版本",
    detail: "详情",
    ready: "就绪",
    notReady: "未就绪",
    down: "停止",
    check: "重新检查",
    loading: "正在询问各个服务…",
    desired: "期望副本",
    scale: "扩缩容",
    replicasOf: "{service} 的副本数",
    whole: "请输入整数副本数。",
    range: "组件的副本数应在 1 到 20 之间。",
    same: "已经是这个副本数。",
    busy: "扩缩容进行中",
  },
});

type Components = { components: Component[]; desired_detail?: string | null };

/** The desired replicas of a component and, when no scale of it runs, a field and a button to change them. */
function ScaleCell({ component, disabled, onScale }: { component: Component; disabled: boolean; onScale: (replicas: number) => void }) {
  const t = useT(messages);
  const desired = component.desired_replicas;
  const [text, setText] = useState(desired == null ? "" : String(desired));
  if (desired == null) return <>—</>;
  if (component.operation_id) return <span className="hint">{`${desired} · ${t("busy")}`}</span>;
  const checked = checkReplicas(text, desired);
  const problem = "problem" in checked && text.trim() !== String(desired) ? t(checked.problem) : null;
  return (
    <form
      className="scale-form"
      onSubmit={(event) => {
        event.preventDefault();
        if ("replicas" in checked) onScale(checked.replicas);
      }}
    >
      <input
        type="number"
        min={REPLICAS_MIN}
        max={REPLICAS_MAX}
        step={1}
        value={text}
        aria-label={t("replicasOf", { service: component.service })}
        aria-invalid={problem ? true : undefined}
        onChange={(event) => setText(event.target.value)}
      />{" "}
      <button type="submit" className="secondary" disabled={disabled || !("replicas" in checked)}>
        {t("scale")} <span className="visually-hidden">{component.service}</span>
      </button>
      {problem && <span className="status-bad"> {problem}</span>}
    </form>
  );
}

export function ComponentsPage() {
  const t = useT(messages);
  const client = useQueryClient();
  const key = ["admin", "components"];
  const components = useQuery({
    queryKey: key,
    queryFn: ({ signal }) => api.get<Components>("/platform/components", signal),
    refetchInterval: 10_000,
  });
  const [operation, setOperation] = useState<string | null>(null);
  const scale = useMutation({
    mutationFn: ({ service, replicas }: { service: string; replicas: number }) =>
      api.post<Operation>(`/platform/components/${encodeURIComponent(service)}/scale`, { replicas }),
    onSuccess: (op) => {
      setOperation(op.operation_id);
      void client.invalidateQueries({ queryKey: key });
    },
  });
  return (
    <section aria-labelledby="components-title">
      <h2 id="components-title">{t("title")}</h2>
      <p className="hint">{t("hint")}</p>
      <div className="actions">
        <button type="button" className="secondary" disabled={components.isFetching} onClick={() => void components.refetch()}>
          {t("check")}
        </button>
      </div>
      {operation && <OperationProgress key={operation} id={operation} onEnded={() => client.invalidateQueries({ queryKey: key })} />}
      <ErrorNote error={scale.error} />
      {components.isPending && <Busy label={t("loading")} />}
      <ErrorNote error={components.error} />
      {components.data?.desired_detail && <p className="hint">{components.data.desired_detail}</p>}
      {components.data && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("service")}</th>
              <th scope="col">{t("state")}</th>
              <th scope="col">{t("replicas")}</th>
              <th scope="col">{t("desired")}</th>
              <th scope="col">{t("version")}</th>
              <th scope="col">{t("detail")}</th>
            </tr>
          </thead>
          <tbody>
            {components.data.components.map((c) => (
              <tr key={c.service} data-component={c.service} data-state={c.ready ? "ready" : c.up ? "not-ready" : "down"}>
                <td>{c.service}</td>
                <td className={c.ready ? "status-ok" : "status-bad"}>{c.ready ? t("ready") : c.up ? t("notReady") : t("down")}</td>
                <td>
                  {c.replicas}
                  {c.instances.length > 0 && (
                    <ul className="instances">
                      {c.instances.map((i) => (
                        <li key={i.instance} data-instance={i.instance} className={i.ready ? "status-ok" : "status-bad"}>
                          <code>{i.instance}</code> {i.ready ? t("ready") : t("notReady")}
                          {i.outbox_backlog ? ` · ${t("backlog", { count: i.outbox_backlog })}` : ""}
                          {i.leads ? ` · ${t("leads")}` : ""}
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
                <td data-desired={c.desired_replicas ?? ""}>
                  <ScaleCell
                    key={`${c.desired_replicas ?? ""}-${c.operation_id ?? ""}`}
                    component={c}
                    disabled={scale.isPending}
                    onScale={(replicas) => scale.mutate({ service: c.service, replicas })}
                  />
                </td>
                <td>{c.version ?? "—"}</td>
                <td>{c.detail ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
