// Users: add one, disable or enable, reset a password, delete (typed confirmation).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";

import { api, ApiError } from "../../api";
import { useAuth } from "../../auth";
import { defineMessages, useFormat, useT } from "../../i18n";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import { TypedConfirm } from "../../ui/TypedConfirm";
import type { UserView } from "./types";

const messages = defineMessages({
  en: {
    title: "Users",
    add: "Add a user",
    username: "Username",
    password: "Password",
    admin: "Platform admin",
    addUser: "Add user",
    added: "User {name} added.",
    list: "Every user",
    teams: "Teams",
    status: "Status",
    created: "Created",
    actions: "Actions",
    active: "Active",
    disabled: "Disabled",
    you: "(you)",
    disable: "Disable",
    enable: "Enable",
    resetPassword: "Reset password",
    delete: "Delete",
    deleteUser: "Delete user",
    newPassword: "New password for {name}",
    cancel: "Cancel",
    wasReset: "The password of {name} was reset; their sessions and API tokens were ended. Tell them the new one.",
    deleted: "User {name} deleted.",
    loading: "Loading the users…",
    none: "No team",
  },
  "zh-CN": {
    title: "用户",
    add: "添加用户",
    username: "用户名",
    password: "密码",
    admin: "平台管理员",
    addUser: "添加用户",
    added: "已添加用户 {name}。",
    list: "全部用户",
    teams: "团队",
    status: "状态",
    created: "创建时间",
    actions: "操作",
    active: "正常",
    disabled: "已停用",
    you: "（你）",
    disable: "停用",
    enable: "启用",
    resetPassword: "重置密码",
    delete: "删除",
    deleteUser: "删除用户",
    newPassword: "{name} 的新密码",
    cancel: "取消",
    wasReset: "已重置 {name} 的密码，其会话和 API 令牌均已失效。请把新密码告诉对方。",
    deleted: "已删除用户 {name}。",
    loading: "正在加载用户…",
    none: "无团队",
  },
});

export function UsersPage() {
  const t = useT(messages);
  const format = useFormat();
  const { me } = useAuth();
  const client = useQueryClient();
  const users = useQuery({ queryKey: ["admin", "users"], queryFn: ({ signal }) => api.get<{ users: UserView[] }>("/users", signal) });
  const [note, setNote] = useState<string | null>(null);
  const [resetting, setResetting] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: ["admin", "users"] });
  const toggle = useMutation({
    mutationFn: (user: UserView) => api.post<UserView>(`/users/${encodeURIComponent(user.username)}/${user.disabled ? "enable" : "disable"}`),
    onSuccess: () => refresh(),
  });
  const remove = useMutation({
    mutationFn: (name: string) => api.delete(`/users/${encodeURIComponent(name)}`),
    onSuccess: (_data, name) => {
      setDeleting(null);
      setNote(t("deleted", { name }));
      void refresh();
    },
  });
  return (
    <section aria-labelledby="users-title">
      <h2 id="users-title">{t("title")}</h2>
      <AddUser
        onAdded={(name) => {
          setNote(t("added", { name }));
          void refresh();
        }}
      />
      {note && (
        <p role="status" className="status-ok">
          {note}
        </p>
      )}
      <h3>{t("list")}</h3>
      {users.isPending && <Busy label={t("loading")} />}
      <ErrorNote error={users.error ?? toggle.error} />
      {users.data && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("username")}</th>
              <th scope="col">{t("teams")}</th>
              <th scope="col">{t("status")}</th>
              <th scope="col">{t("created")}</th>
              <th scope="col">{t("actions")}</th>
            </tr>
          </thead>
          <tbody>
            {users.data.users.map((user) => {
              const self = user.user_id === me?.user_id;
              return (
                <tr key={user.user_id} data-user={user.username}>
                  <td>
                    {user.username} {user.is_admin && <span className="tag">{t("admin")}</span>} {self && t("you")}
                  </td>
                  <td>{user.teams.length ? user.teams.map((m) => `${m.name} (${m.role})`).join(", ") : t("none")}</td>
                  <td className={user.disabled ? "status-bad" : "status-ok"}>{user.disabled ? t("disabled") : t("active")}</td>
                  <td>{format.date(user.created_at)}</td>
                  <td>
                    {!self && (
                      <div className="actions compact">
                        <button type="button" className="secondary" disabled={toggle.isPending} onClick={() => toggle.mutate(user)}>
                          {user.disabled ? t("enable") : t("disable")}
                        </button>
                        <button type="button" className="secondary" onClick={() => setResetting(user.username)}>
                          {t("resetPassword")}
                        </button>
                        <button type="button" className="danger" onClick={() => setDeleting(user.username)}>
                          {t("delete")}
                        </button>
                      </div>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {resetting && (
        <ResetPassword
          name={resetting}
          onDone={(done) => {
            setResetting(null);
            if (done) setNote(t("wasReset", { name: resetting }));
          }}
        />
      )}
      {deleting && (
        <>
          <TypedConfirm
            name={deleting}
            action={t("deleteUser")}
            busy={remove.isPending}
            onConfirm={() => remove.mutate(deleting)}
            onCancel={() => {
              setDeleting(null);
              remove.reset();
            }}
          />
          <ErrorNote error={remove.error} />
        </>
      )}
    </section>
  );
}

function AddUser({ onAdded }: { onAdded: (name: string) => void }) {
  const t = useT(messages);
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [isAdmin, setIsAdmin] = useState(false);
  const add = useMutation({
    mutationFn: () => api.post<UserView>("/users", { username, password, is_admin: isAdmin }),
    onSuccess: (user) => {
      setUsername("");
      setPassword("");
      setIsAdmin(false);
      onAdded(user.username);
    },
  });
  const fieldError = (field: string) => (add.error instanceof ApiError ? add.error.fieldMessage(field) : undefined);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    add.mutate();
  };
  return (
    <form onSubmit={submit} className="card form-row" aria-label={t("add")}>
      <h3>{t("add")}</h3>
      <label>
        {t("username")}
        <input value={username} onChange={(e) => setUsername(e.target.value)} required autoComplete="off" aria-invalid={Boolean(fieldError("username"))} />
      </label>
      <label>
        {t("password")}
        <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete="new-password" aria-invalid={Boolean(fieldError("password"))} />
      </label>
      <label className="check">
        <input type="checkbox" checked={isAdmin} onChange={(e) => setIsAdmin(e.target.checked)} />
        {t("admin")}
      </label>
      <div className="actions">
        <button type="submit" disabled={add.isPending}>
          {t("addUser")}
        </button>
      </div>
      <ErrorNote error={add.error} />
    </form>
  );
}

function ResetPassword({ name, onDone }: { name: string; onDone: (done: boolean) => void }) {
  const t = useT(messages);
  const [password, setPassword] = useState("");
  const reset = useMutation({
    mutationFn: () => api.post(`/users/${encodeURIComponent(name)}/password`, { password }),
    onSuccess: () => onDone(true),
  });
  return (
    <form
      className="dialog"
      aria-label={t("resetPassword")}
      onSubmit={(event) => {
        event.preventDefault();
        reset.mutate();
      }}
    >
      <label>
        {t("newPassword", { name })}
        <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} required autoFocus autoComplete="new-password" />
      </label>
      <div className="actions">
        <button type="submit" disabled={reset.isPending}>
          {t("resetPassword")}
        </button>
        <button type="button" className="secondary" onClick={() => onDone(false)}>
          {t("cancel")}
        </button>
      </div>
      <ErrorNote error={reset.error} />
    </form>
  );
}
