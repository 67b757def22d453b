// The platform's own services: whether each answers, whether it is ready (and why not), its version, and each
// of its replicas (every replica answers the gateway's question, so each is listed with its own state).
import { useQuery } from "@tanstack/react-query";

import { api } from "../../api";
import { defineMessages, useT } from "../../i18n";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import type { Component } from "./types";

const messages = defineMessages({
  en: {
    title: "Platform health",
    hint: "Each QuickOn service is asked over NATS; one that does not answer within 2 seconds is down.",
    service: "Service",
    replicas: "Replicas",
    backlog: "{count} events not yet published",
    state: "State",
    version: "Version",
    detail: "Detail",
    ready: "ready",
    notReady: "not ready",
    down: "down",
    check: "Check again",
    loading: "Asking every service…",
  },
  "zh-CN": {
    title: "平台组件状态",
    hint: "通过 NATS 询问每个 QuickOn 服务；2 秒内没有应答即视为停止。",
    service: "服务",
    replicas: "副本",
    backlog: "{count} 个事件尚未发布",
    state: "状态",
    version: "版本",
    detail: "详情",
    ready: "就绪",
    notReady: "未就绪",
    down: "停止",
    check: "重新检查",
    loading: "正在询问各个服务…",
  },
});

export function ComponentsPage() {
  const t = useT(messages);
  const components = useQuery({
    queryKey: ["admin", "components"],
    queryFn: ({ signal }) => api.get<{ components: Component[] }>("/platform/components", signal),
    refetchInterval: 10_000,
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
      {components.isPending && <Busy label={t("loading")} />}
      <ErrorNote error={components.error} />
      {components.data && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("service")}</th>
              <th scope="col">{t("state")}</th>
              <th scope="col">{t("replicas")}</th>
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
                        </li>
                      ))}
                    </ul>
                  )}
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
