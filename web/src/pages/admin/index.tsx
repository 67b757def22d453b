// The admin area, for platform admins only (the menu shows it only to them; the gateway refuses the rest).
import { Navigate, NavLink, Route, Routes } from "react-router";

import { useAuth } from "../../auth";
import { defineMessages, useT } from "../../i18n";
import { Busy } from "../../ui/Busy";
import { ComponentsPage } from "./Components";
import { NodesPage } from "./Nodes";
import { PublishPage } from "./Publish";
import { RepositoriesPage } from "./Repositories";
import { TeamPage } from "./Team";
import { TeamsPage } from "./Teams";
import { UsersPage } from "./Users";

const messages = defineMessages({
  en: {
    title: "Admin",
    sections: "Admin sections",
    users: "Users",
    teams: "Teams",
    repositories: "Repositories",
    charts: "Publish a chart",
    components: "Platform health",
    nodes: "Nodes",
    forbidden: "Only platform admins may use the admin pages. Ask one of your platform's admins if you need something changed.",
  },
  "zh-CN": {
    title: "管理",
    sections: "管理分区",
    users: "用户",
    teams: "团队",
    repositories: "仓库",
    charts: "发布 Chart",
    components: "平台组件状态",
    nodes: "节点",
    forbidden: "只有平台管理员可以使用管理页面。如需变更，请联系平台管理员。",
  },
});

export default function AdminPage() {
  const t = useT(messages);
  const { me } = useAuth();
  if (!me) return <Busy />;
  if (!me.is_admin)
    return (
      <>
        <h1>{t("title")}</h1>
        <p role="alert" className="error">
          {t("forbidden")}
        </p>
      </>
    );
  // Absolute: within a splat route ("admin/*") a relative link resolves against the whole current URL.
  const sections = [
    ["users", t("users")],
    ["teams", t("teams")],
    ["repositories", t("repositories")],
    ["charts", t("charts")],
    ["components", t("components")],
    ["nodes", t("nodes")],
  ];
  return (
    <>
      <h1>{t("title")}</h1>
      <nav aria-label={t("sections")} className="subnav">
        {sections.map(([to, label]) => (
          <NavLink key={to} to={`/admin/${to}`}>
            {label}
          </NavLink>
        ))}
      </nav>
      <Routes>
        <Route index element={<Navigate to="/admin/users" replace />} />
        <Route path="users" element={<UsersPage />} />
        <Route path="teams" element={<TeamsPage />} />
        <Route path="teams/:team" element={<TeamPage />} />
        <Route path="repositories" element={<RepositoriesPage />} />
        <Route path="charts" element={<PublishPage />} />
        <Route path="components" element={<ComponentsPage />} />
        <Route path="nodes" element={<NodesPage />} />
      </Routes>
    </>
  );
}
