import { defineMessages, useT } from "../../i18n";
import type { Health as HealthState } from "./data";

const messages = defineMessages({
  en: {
    title: "Health",
    unknown: "Health is not known now: {reason}",
    absent: "Nothing of it runs in the cluster.",
    ready: "Every workload has all its replicas ready.",
    stopped: "Stopped: every workload is scaled to zero.",
    degraded: "Degraded: {failure}",
    starting: "Not ready yet.",
    pending: "Pods wait to be scheduled: {reason}",
    workloads: "Workloads",
    workload: "Workload",
    readyCount: "Ready",
    updated: "Updated",
    pods: "Pods",
    pod: "Pod",
    phase: "Phase",
    restarts: "Restarts",
    reason: "Why not ready",
    node: "Node",
    yes: "ready",
    no: "not ready",
    noPods: "No pods.",
  },
  "zh-CN": {
    title: "健康状况",
    unknown: "暂时无法获知健康状况：{reason}",
    absent: "集群中没有它的任何对象在运行。",
    ready: "所有工作负载的副本均已就绪。",
    stopped: "已停止：所有工作负载的副本数为 0。",
    degraded: "部分异常：{failure}",
    starting: "尚未就绪。",
    pending: "Pod 等待调度：{reason}",
    workloads: "工作负载",
    workload: "工作负载",
    readyCount: "就绪",
    updated: "已更新",
    pods: "Pod",
    pod: "Pod",
    phase: "阶段",
    restarts: "重启次数",
    reason: "未就绪原因",
    node: "节点",
    yes: "就绪",
    no: "未就绪",
    noPods: "没有 Pod。",
  },
});

/** The service as the runtime sees it now: its workloads' replicas, its pods, their restarts and why not ready. */
export function Health({ health }: { health: HealthState | string | null | undefined }) {
  const t = useT(messages);
  let summary: string;
  let bad = false;
  if (!health || typeof health === "string") {
    summary = t("unknown", { reason: health ?? "—" });
    bad = true;
  } else if (!health.exists) summary = t("absent");
  else if (health.stopped) summary = t("stopped");
  else if (health.degraded) {
    summary = t("degraded", { failure: health.failure ?? "—" });
    bad = true;
  } else if (health.pending_reason) summary = t("pending", { reason: health.pending_reason });
  else summary = health.ready ? t("ready") : t("starting");
  const state = health && typeof health !== "string" ? health : null;
  return (
    <section aria-labelledby="health-title">
      <h2 id="health-title">{t("title")}</h2>
      <p className={bad ? "status-bad" : state?.ready ? "status-ok" : undefined}>{summary}</p>
      {state?.workloads.length ? (
        <table aria-label={t("workloads")}>
          <thead>
            <tr>
              <th scope="col">{t("workload")}</th>
              <th scope="col">{t("readyCount")}</th>
              <th scope="col">{t("updated")}</th>
            </tr>
          </thead>
          <tbody>
            {state.workloads.map((w) => (
              <tr key={`${w.kind}/${w.name}`}>
                <td>
                  {w.kind}/{w.name}
                </td>
                <td>
                  {w.ready}/{w.desired}
                </td>
                <td>{w.updated}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {state ? (
        state.pods.length ? (
          <table aria-label={t("pods")}>
            <thead>
              <tr>
                <th scope="col">{t("pod")}</th>
                <th scope="col">{t("phase")}</th>
                <th scope="col">{t("readyCount")}</th>
                <th scope="col">{t("restarts")}</th>
                <th scope="col">{t("reason")}</th>
                <th scope="col">{t("node")}</th>
              </tr>
            </thead>
            <tbody>
              {state.pods.map((p) => (
                <tr key={p.name}>
                  <td>{p.name}</td>
                  <td>{p.phase}</td>
                  <td className={p.ready ? "status-ok" : "status-bad"}>{p.ready ? t("yes") : t("no")}</td>
                  <td>{p.restarts}</td>
                  <td>{p.reason || "—"}</td>
                  <td>{p.node ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p>{t("noPods")}</p>
        )
      ) : null}
    </section>
  );
}
