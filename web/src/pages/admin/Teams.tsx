// Teams: every team with its namespaces, and a new one (with its first namespace).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate } from "react-router";

import { api } from "../../api";
import { defineMessages, useT } from "../../i18n";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import type { TeamView } from "./types";

const messages = defineMessages({
  en: {
    title: "Teams",
    add: "Create a team",
    name: "Team name",
    namespace: "First namespace (empty: the team's name)",
    create: "Create team",
    list: "Every team",
    namespaces: "Namespaces",
    loading: "Loading the teams…",
    empty: "No team yet: create the first one above.",
  },
  "zh-CN": {
    title: "团队",
    add: "创建团队",
    name: "团队名称",
    namespace: "第一个命名空间（留空则与团队同名）",
    create: "创建团队",
    list: "全部团队",
    namespaces: "命名空间",
    loading: "正在加载团队…",
    empty: "还没有团队：请在上方创建第一个。",
  },
});

export function TeamsPage() {
  const t = useT(messages);
  const client = useQueryClient();
  const navigate = useNavigate();
  const teams = useQuery({ queryKey: ["admin", "teams"], queryFn: ({ signal }) => api.get<{ teams: TeamView[] }>("/teams", signal) });
  const [name, setName] = useState("");
  const [namespace, setNamespace] = useState("");
  const create = useMutation({
    mutationFn: () => api.post<TeamView>("/teams", { name, namespace: namespace || null }),
    onSuccess: (team) => {
      void client.invalidateQueries({ queryKey: ["admin", "teams"] });
      navigate(encodeURIComponent(team.team));
    },
  });
  return (
    <section aria-labelledby="teams-title">
      <h2 id="teams-title">{t("title")}</h2>
      <form
        className="card form-row"
        aria-label={t("add")}
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate();
        }}
      >
        <h3>{t("add")}</h3>
        <label>
          {t("name")}
          <input value={name} onChange={(e) => setName(e.target.value)} required autoComplete="off" />
        </label>
        <label>
          {t("namespace")}
          <input value={namespace} onChange={(e) => setNamespace(e.target.value)} autoComplete="off" />
        </label>
        <div className="actions">
          <button type="submit" disabled={create.isPending}>
            {t("create")}
          </button>
        </div>
        <ErrorNote error={create.error} />
      </form>
      <h3>{t("list")}</h3>
      {teams.isPending && <Busy label={t("loading")} />}
      <ErrorNote error={teams.error} />
      {teams.data && teams.data.teams.length === 0 && <p>{t("empty")}</p>}
      {teams.data && teams.data.teams.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("name")}</th>
              <th scope="col">{t("namespaces")}</th>
            </tr>
          </thead>
          <tbody>
            {teams.data.teams.map((team) => (
              <tr key={team.team}>
                <td>
                  <Link to={encodeURIComponent(team.team)}>{team.name}</Link>
                </td>
                <td>{team.namespaces.join(", ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
