import { NavLink, Outlet } from "react-router";

import { useAuth } from "../auth";
import { useT } from "../i18n";
import { LanguageSelect } from "../ui/LanguageSelect";
import { messages } from "./messages";

/** The frame of every signed-in page: the menu, the language, the user, and the page itself. */
export function Shell() {
  const t = useT(messages);
  const { me, logOut, can } = useAuth();
  // Alerts and metrics are a team's (or the platform's, for its admins): someone in no team has none to see.
  const watches = can("viewer");
  const links = [
    ["/", t("dashboard")],
    ["/market", t("market")],
    ["/services", t("services")],
    ["/operations", t("operations")],
    ["/activity", t("activity")],
    ...(watches ? [["/alerts", t("alerts")], ["/monitoring", t("monitoring")]] : []),
    ["/audit", t("audit")],
    ...(me?.is_admin ? [["/admin", t("admin")]] : []),
    ["/account", t("account")],
  ];
  return (
    <div className="shell">
      <header>
        <strong className="brand">{t("product")}</strong>
        <nav aria-label={t("navigation")}>
          {links.map(([to, label]) => (
            <NavLink key={to} to={to} end={to === "/"}>
              {label}
            </NavLink>
          ))}
        </nav>
        <div className="who">
          <LanguageSelect />
          {me && <span>{t("signedInAs", { name: me.username })}</span>}
          <button type="button" onClick={() => void logOut()}>
            {t("signOut")}
          </button>
        </div>
      </header>
      <main>
        <Outlet />
      </main>
    </div>
  );
}

export function NotFound() {
  const t = useT(messages);
  return <p>{t("notFound")}</p>;
}
