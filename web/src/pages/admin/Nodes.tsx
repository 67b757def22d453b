// The cluster's nodes (platform admins): capacity against what their pods request, whether each takes new pods,
// and cordon, uncordon and drain as operations followed live (a drain moves every controller's pods elsewhere,
// one controller at a time, and says which could not move).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { api } from "../../api";
import { defineMessages, useFormat, useT } from "../../i18n";
import type { Operation } from "../../operations";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import { OperationProgress } from "../../ui/OperationProgress";

interface NodeSummary {
  name: string;
  ready: boolean;
  unschedulable: boolean;
  cpu_allocatable_m: number;
  memory_allocatable_bytes: number;
  cpu_requested_m: number;
  memory_requested_bytes: number;
  pod_count: number;
  pods_allocatable: number;
  kubelet_version: string;
  operation_id?: string | null;
}

type Action = "cordon" | "uncordon" | "drain";

const messages = defineMessages({
  en: {
    title: "Nodes",
    hint: "Cordon a node to stop new pods going there; drain it to move its pods elsewhere (for maintenance); uncordon it to use it again.",
    node: "Node",
    state: "State",
    cpu: "CPU requested",
    memory: "Memory requested",
    pods: "Pods",
    version: "Kubelet",
    actions: "Actions",
    ready: "ready",
    notReady: "not ready",
    cordoned: "cordoned",
    cordon: "Cordon",
    uncordon: "Uncordon",
    drain: "Drain",
    confirmDrain: "Drain {node}? Its pods are evicted and started on other nodes; pods held by a volume on it cannot move.",
    busy: "an operation is running",
    loading: "Reading the nodes…",
  },
  "zh-CN": {
    title: "节点",
    hint: "封锁节点可阻止新的 Pod 调度到该节点；排空节点会把其上的 Pod 迁移到其他节点（用于维护）；解除封锁后可再次使用。",
    node: "节点",
    state: "状态",
    cpu: "已请求 CPU",
    memory: "已请求内存",
    pods: "Pod",
    version: "Kubelet",
    actions: "操作",
    ready: "就绪",
    notReady: "未就绪",
    cordoned: "已封锁",
    cordon: "封锁",
    uncordon: "解除封锁",
    drain: "排空",
    confirmDrain: "排空 {node}？其上的 Pod 会被驱逐并在其他节点启动；被该节点上的卷固定的 Pod 无法迁移。",
    busy: "有操作正在进行",
    loading: "正在读取节点…",
  },
});

export function NodesPage() {
  const t = useT(messages);
  const format = useFormat();
  const client = useQueryClient();
  const key = ["admin", "nodes"];
  const nodes = useQuery({
    queryKey: key,
    queryFn: ({ signal }) => api.get<{ runtime: string; nodes: NodeSummary[] }>("/cluster/nodes", signal),
    refetchInterval: 10_000,
  });
  const [operation, setOperation] = useState<string | null>(null);
  const act = useMutation({
    mutationFn: ({ node, action }: { node: string; action: Action }) =>
      api.post<Operation>(`/cluster/nodes/${encodeURIComponent(node)}/${action}`),
    onSuccess: (op) => setOperation(op.operation_id),
  });
  const run = (node: string, action: Action) => {
    if (action === "drain" && !window.confirm(t("confirmDrain", { node }))) return;
    act.mutate({ node, action });
  };
  return (
    <section aria-labelledby="nodes-title">
      <h2 id="nodes-title">{t("title")}</h2>
      <p className="hint">{t("hint")}</p>
      {operation && <OperationProgress key={operation} id={operation} onEnded={() => client.invalidateQueries({ queryKey: key })} />}
      <ErrorNote error={act.error} />
      {nodes.isPending && <Busy label={t("loading")} />}
      <ErrorNote error={nodes.error} />
      {nodes.data && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("node")}</th>
              <th scope="col">{t("state")}</th>
              <th scope="col">{t("cpu")}</th>
              <th scope="col">{t("memory")}</th>
              <th scope="col">{t("pods")}</th>
              <th scope="col">{t("version")}</th>
              <th scope="col">{t("actions")}</th>
            </tr>
          </thead>
          <tbody>
            {nodes.data.nodes.map((n) => (
              <tr key={n.name} data-node={n.name} data-state={n.unschedulable ? "cordoned" : n.ready ? "ready" : "not-ready"}>
                <td>{n.name}</td>
                <td className={n.ready && !n.unschedulable ? "status-ok" : "status-bad"}>
                  {n.ready ? t("ready") : t("notReady")}
                  {n.unschedulable ? `, ${t("cordoned")}` : ""}
                </td>
                <td>
                  {format.number(n.cpu_requested_m)}m / {format.number(n.cpu_allocatable_m)}m
                </td>
                <td>
                  {format.bytes(n.memory_requested_bytes)} / {format.bytes(n.memory_allocatable_bytes)}
                </td>
                <td>
                  {n.pod_count} / {n.pods_allocatable}
                </td>
                <td>{n.kubelet_version}</td>
                <td className="actions">
                  {n.operation_id ? (
                    <span className="hint">{t("busy")}</span>
                  ) : (
                    <>
                      {n.unschedulable ? (
                        <button type="button" className="secondary" disabled={act.isPending} onClick={() => run(n.name, "uncordon")}>
                          {t("uncordon")} <span className="visually-hidden">{n.name}</span>
                        </button>
                      ) : (
                        <button type="button" className="secondary" disabled={act.isPending} onClick={() => run(n.name, "cordon")}>
                          {t("cordon")} <span className="visually-hidden">{n.name}</span>
                        </button>
                      )}
                      <button type="button" className="danger" disabled={act.isPending} onClick={() => run(n.name, "drain")}>
                        {t("drain")} <span className="visually-hidden">{n.name}</span>
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
