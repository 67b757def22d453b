// Chart repositories: their state and last error; add one, read one again, remove one. Each is an
// operation, followed live until it ends (a repository that cannot be read fails at its "sync" step).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { api } from "../../api";
import { defineMessages, useFormat, useT } from "../../i18n";
import type { Operation } from "../../operations";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import { OperationProgress } from "../../ui/OperationProgress";
import { TypedConfirm } from "../../ui/TypedConfirm";
import type { RepositoryView } from "./types";

const messages = defineMessages({
  en: {
    title: "Repositories",
    add: "Add a repository",
    name: "Name",
    url: "URL (http(s) with an index.yaml)",
    addRepository: "Add repository",
    list: "Every repository",
    status: "Status",
    apps: "Apps",
    synced: "Last read",
    lastError: "Last error",
    actions: "Actions",
    refresh: "Refresh",
    refreshOne: "Refresh {name}",
    remove: "Remove",
    removeOne: "Remove {name}",
    removeRepository: "Remove repository",
    builtin: "built in",
    loading: "Loading the repositories…",
    ok: "ok",
    failed: "failed",
    pending: "pending",
  },
  "zh-CN": {
    title: "仓库",
    add: "添加仓库",
    name: "名称",
    url: "地址（含 index.yaml 的 http(s) 地址）",
    addRepository: "添加仓库",
    list: "全部仓库",
    status: "状态",
    apps: "应用数",
    synced: "上次读取",
    lastError: "最近错误",
    actions: "操作",
    refresh: "刷新",
    refreshOne: "刷新 {name}",
    remove: "移除",
    removeOne: "移除 {name}",
    removeRepository: "移除仓库",
    builtin: "内置",
    loading: "正在加载仓库…",
    ok: "正常",
    failed: "失败",
    pending: "等待中",
  },
});

type Status = "ok" | "failed" | "pending";

export function RepositoriesPage() {
  const t = useT(messages);
  const format = useFormat();
  const client = useQueryClient();
  const key = ["admin", "repositories"];
  const repositories = useQuery({
    queryKey: key,
    queryFn: ({ signal }) => api.get<{ repositories: RepositoryView[] }>("/repositories", signal),
  });
  const [name, setName] = useState("");
  const [url, setUrl] = useState("");
  const [operation, setOperation] = useState<string | null>(null);
  const [removing, setRemoving] = useState<string | null>(null);
  const started = (op: Operation) => setOperation(op.operation_id);
  const add = useMutation({
    mutationFn: () => api.post<Operation>("/repositories", { name, url }),
    onSuccess: (op) => {
      setName("");
      setUrl("");
      started(op);
    },
  });
  const refresh = useMutation({ mutationFn: (repo: string) => api.post<Operation>(`/repositories/${encodeURIComponent(repo)}/refresh`), onSuccess: started });
  const remove = useMutation({
    mutationFn: (repo: string) => api.delete<Operation>(`/repositories/${encodeURIComponent(repo)}`),
    onSuccess: (op) => {
      setRemoving(null);
      started(op);
    },
  });
  const statusText = (status?: string | null) => (status === "ok" || status === "failed" || status === "pending" ? t(status as Status) : (status ?? "—"));
  return (
    <section aria-labelledby="repositories-title">
      <h2 id="repositories-title">{t("title")}</h2>
      <form
        className="card form-row"
        aria-label={t("add")}
        onSubmit={(event) => {
          event.preventDefault();
          add.mutate();
        }}
      >
        <h3>{t("add")}</h3>
        <label>
          {t("name")}
          <input value={name} onChange={(e) => setName(e.target.value)} required autoComplete="off" />
        </label>
        <label className="wide">
          {t("url")}
          <input value={url} onChange={(e) => setUrl(e.target.value)} required autoComplete="off" />
        </label>
        <div className="actions">
          <button type="submit" disabled={add.isPending}>
            {t("addRepository")}
          </button>
        </div>
        <ErrorNote error={add.error} />
      </form>
      {operation && <OperationProgress key={operation} id={operation} onEnded={() => client.invalidateQueries({ queryKey: key })} />}
      <ErrorNote error={refresh.error} />
      <h3>{t("list")}</h3>
      {repositories.isPending && <Busy label={t("loading")} />}
      <ErrorNote error={repositories.error} />
      {repositories.data && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("name")}</th>
              <th scope="col">{t("status")}</th>
              <th scope="col">{t("apps")}</th>
              <th scope="col">{t("synced")}</th>
              <th scope="col">{t("lastError")}</th>
              <th scope="col">{t("actions")}</th>
            </tr>
          </thead>
          <tbody>
            {repositories.data.repositories.map((repo) => (
              <tr key={repo.name} data-repository={repo.name}>
                <td>
                  <div>
                    {repo.name} {repo.builtin && <span className="tag">{t("builtin")}</span>}
                  </div>
                  <div className="hint">{repo.url}</div>
                </td>
                <td className={repo.status === "failed" ? "status-bad" : repo.status === "ok" ? "status-ok" : ""}>{statusText(repo.status)}</td>
                <td>{repo.apps ?? "—"}</td>
                <td>{format.date(repo.synced_at)}</td>
                <td className="last-error">{repo.last_error ?? "—"}</td>
                <td>
                  <div className="actions compact">
                    <button type="button" className="secondary" aria-label={t("refreshOne", { name: repo.name })} onClick={() => refresh.mutate(repo.name)}>
                      {t("refresh")}
                    </button>
                    {!repo.builtin && (
                      <button type="button" className="danger" aria-label={t("removeOne", { name: repo.name })} onClick={() => setRemoving(repo.name)}>
                        {t("remove")}
                      </button>
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {removing && (
        <TypedConfirm name={removing} action={t("removeRepository")} busy={remove.isPending} onConfirm={() => remove.mutate(removing)} onCancel={() => setRemoving(null)} />
      )}
      <ErrorNote error={remove.error} />
    </section>
  );
}
