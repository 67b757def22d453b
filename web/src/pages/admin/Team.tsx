// One team: its members (add with a role, change the role, remove), its namespaces (add, remove) and, once
// it has no services left, deleting it. The gateway refuses a reserved namespace: its detail is shown here.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";

import { api } from "../../api";
import type { Role } from "../../auth";
import { defineMessages, useT } from "../../i18n";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import { TypedConfirm } from "../../ui/TypedConfirm";
import { type Member, ROLES, type TeamView } from "./types";

const messages = defineMessages({
  en: {
    back: "All teams",
    title: "Team {name}",
    members: "Members",
    username: "Username",
    role: "Role",
    addMember: "Add member",
    remove: "Remove",
    removeMember: "Remove {name}",
    noMembers: "No member yet.",
    namespaces: "Namespaces",
    namespace: "Namespace",
    addNamespace: "Add namespace",
    removeNamespace: "Remove namespace {name}",
    deleteTeam: "Delete team",
    deleteHint: "A team can be deleted once it has no services left.",
    loading: "Loading the team…",
    viewer: "viewer",
    operator: "operator",
    admin: "admin",
    owner: "owner",
  },
  "zh-CN": {
    back: "全部团队",
    title: "团队 {name}",
    members: "成员",
    username: "用户名",
    role: "角色",
    addMember: "添加成员",
    remove: "移除",
    removeMember: "移除 {name}",
    noMembers: "还没有成员。",
    namespaces: "命名空间",
    namespace: "命名空间",
    addNamespace: "添加命名空间",
    removeNamespace: "移除命名空间 {name}",
    deleteTeam: "删除团队",
    deleteHint: "团队中没有服务后才能删除。",
    loading: "正在加载团队…",
    viewer: "查看者",
    operator: "操作员",
    admin: "管理员",
    owner: "所有者",
  },
});

export function TeamPage() {
  const t = useT(messages);
  const id = useParams().team ?? "";
  const path = `/teams/${encodeURIComponent(id)}`;
  const navigate = useNavigate();
  const client = useQueryClient();
  const team = useQuery({ queryKey: ["admin", "team", id], queryFn: ({ signal }) => api.get<TeamView>(path, signal) });
  const [deleting, setDeleting] = useState(false);
  const remove = useMutation({
    mutationFn: () => api.delete(path),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ["admin", "teams"] });
      navigate("..", { relative: "path" });
    },
  });
  if (team.isPending) return <Busy label={t("loading")} />;
  if (!team.data) return <ErrorNote error={team.error} />;
  return (
    <section aria-labelledby="team-title">
      <p>
        <Link to=".." relative="path">
          {t("back")}
        </Link>
      </p>
      <h2 id="team-title">{t("title", { name: team.data.name })}</h2>
      <Members path={path} />
      <Namespaces path={path} team={team.data} onChanged={() => client.invalidateQueries({ queryKey: ["admin", "team", id] })} />
      <h3>{t("deleteTeam")}</h3>
      <p className="hint">{t("deleteHint")}</p>
      {deleting ? (
        <TypedConfirm name={team.data.name} action={t("deleteTeam")} busy={remove.isPending} onConfirm={() => remove.mutate()} onCancel={() => setDeleting(false)} />
      ) : (
        <button type="button" className="danger" onClick={() => setDeleting(true)}>
          {t("deleteTeam")}
        </button>
      )}
      <ErrorNote error={remove.error} />
    </section>
  );
}

function Members({ path }: { path: string }) {
  const t = useT(messages);
  const client = useQueryClient();
  const key = ["admin", "members", path];
  const members = useQuery({ queryKey: key, queryFn: ({ signal }) => api.get<{ members: Member[] }>(`${path}/members`, signal) });
  const [username, setUsername] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const refresh = () => {
    void client.invalidateQueries({ queryKey: key });
    void client.invalidateQueries({ queryKey: ["admin", "users"] });
  };
  const add = useMutation({
    mutationFn: (member: { username: string; role: Role }) => api.post<Member>(`${path}/members`, member),
    onSuccess: () => {
      setUsername("");
      refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (name: string) => api.delete(`${path}/members/${encodeURIComponent(name)}`),
    onSuccess: refresh,
  });
  return (
    <section aria-labelledby="members-title">
      <h3 id="members-title">{t("members")}</h3>
      {members.isPending && <Busy />}
      <ErrorNote error={members.error ?? remove.error} />
      {members.data && members.data.members.length === 0 && <p>{t("noMembers")}</p>}
      {members.data && members.data.members.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("username")}</th>
              <th scope="col">{t("role")}</th>
              <th scope="col">
                <span className="visually-hidden">{t("remove")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {members.data.members.map((member) => (
              <tr key={member.user_id} data-member={member.username}>
                <td>{member.username}</td>
                <td>
                  <select
                    aria-label={`${t("role")}: ${member.username}`}
                    value={member.role}
                    onChange={(e) => add.mutate({ username: member.username, role: e.target.value as Role })}
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {t(r)}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  <button type="button" className="secondary" aria-label={t("removeMember", { name: member.username })} onClick={() => remove.mutate(member.username)}>
                    {t("remove")}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form
        className="form-row"
        aria-label={t("addMember")}
        onSubmit={(event) => {
          event.preventDefault();
          add.mutate({ username, role });
        }}
      >
        <label>
          {t("username")}
          <input value={username} onChange={(e) => setUsername(e.target.value)} required autoComplete="off" />
        </label>
        <label>
          {t("role")}
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {t(r)}
              </option>
            ))}
          </select>
        </label>
        <div className="actions">
          <button type="submit" disabled={add.isPending}>
            {t("addMember")}
          </button>
        </div>
      </form>
      <ErrorNote error={add.error} />
    </section>
  );
}

function Namespaces({ path, team, onChanged }: { path: string; team: TeamView; onChanged: () => void }) {
  const t = useT(messages);
  const [namespace, setNamespace] = useState("");
  const add = useMutation({
    mutationFn: () => api.post(`${path}/namespaces`, { namespace }),
    onSuccess: () => {
      setNamespace("");
      onChanged();
    },
  });
  const remove = useMutation({
    mutationFn: (name: string) => api.delete(`${path}/namespaces/${encodeURIComponent(name)}`),
    onSuccess: onChanged,
  });
  return (
    <section aria-labelledby="namespaces-title">
      <h3 id="namespaces-title">{t("namespaces")}</h3>
      <ul className="chips">
        {team.namespaces.map((name) => (
          <li key={name}>
            <span>{name}</span>{" "}
            <button type="button" className="secondary" aria-label={t("removeNamespace", { name })} onClick={() => remove.mutate(name)}>
              {t("remove")}
            </button>
          </li>
        ))}
      </ul>
      <ErrorNote error={remove.error} />
      <form
        className="form-row"
        aria-label={t("addNamespace")}
        onSubmit={(event) => {
          event.preventDefault();
          add.mutate();
        }}
      >
        <label>
          {t("namespace")}
          <input value={namespace} onChange={(e) => setNamespace(e.target.value)} required autoComplete="off" />
        </label>
        <div className="actions">
          <button type="submit" disabled={add.isPending}>
            {t("addNamespace")}
          </button>
        </div>
      </form>
      <ErrorNote error={add.error} />
    </section>
  );
}
