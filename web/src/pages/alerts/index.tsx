// The alerts area: alerts and silences, alert rules, notification channels. Anyone in a team (or a platform
// admin) reads them; what each may change is offered on each page (the gateway checks again).
import { NavLink, Route, Routes } from "react-router";

import { useT } from "../../i18n";
import { AlertsPage } from "./AlertsPage";
import { ChannelsPage } from "./ChannelsPage";
import { messages } from "./messages";
import { RulesPage } from "./RulesPage";

export default function AlertsArea() {
  const t = useT(messages);
  // Absolute: within a splat route ("alerts/*") a relative link resolves against the whole current URL.
  const sections = [
    ["/alerts", t("alerts")],
    ["/alerts/rules", t("rules")],
    ["/alerts/channels", t("channels")],
  ];
  return (
    <>
      <h1>{t("title")}</h1>
      <nav aria-label={t("sections")} className="subnav">
        {sections.map(([to, label]) => (
          <NavLink key={to} to={to!} end>
            {label}
          </NavLink>
        ))}
      </nav>
      <Routes>
        <Route index element={<AlertsPage />} />
        <Route path="rules" element={<RulesPage />} />
        <Route path="channels" element={<ChannelsPage />} />
      </Routes>
    </>
  );
}
