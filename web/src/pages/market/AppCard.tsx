import { Link } from "react-router";

import { useT } from "../../i18n";
import type { AppSummary } from "./api";
import { AppIcon } from "./AppIcon";
import { categoryLabel, messages } from "./messages";

/** One app in the market: its name (the link to its page), what it is, its latest version. */
export function AppCard({ app }: { app: AppSummary }) {
  const t = useT(messages);
  const title = app.title || app.name;
  return (
    <li className="card app-card">
      <AppIcon icon={app.icon} title={title} />
      <div>
        <h2>
          <Link to={`/market/${encodeURIComponent(app.name)}${app.repository !== "builtin" ? `?repository=${app.repository}` : ""}`}>
            {title}
          </Link>
        </h2>
        <p>{app.description}</p>
        <p className="hint">
          {app.latest_version ? t("latest", { version: app.latest_version }) : t("noVersion")}
          {app.category ? ` · ${categoryLabel(t, app.category)}` : null}
          {app.deprecated ? ` · ${t("deprecated")}` : null}
        </p>
      </div>
    </li>
  );
}
