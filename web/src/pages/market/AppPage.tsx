import { lazy, Suspense, useId, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";

import { useAuth } from "../../auth";
import { useFormat, useT } from "../../i18n";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import { ScanReport } from "../../ui/ScanReport";
import { useApp, useVersion, useVersionScan } from "./api";
import { AppIcon } from "./AppIcon";
import { Changelog, VersionFlags } from "./Changelog";
import { categoryLabel, messages } from "./messages";

// The dialog brings react-jsonschema-form with it: loaded when someone installs, not with the page.
const InstallDialog = lazy(() => import("./InstallDialog"));

/** One app: what it is, its readme (as plain text: a chart's readme is never injected as HTML), its
 * versions and changelog, and Install for those who may install somewhere. */
export function AppPage() {
  const t = useT(messages);
  const format = useFormat();
  const id = useId();
  const { app: name = "" } = useParams();
  const repository = useSearchParams()[0].get("repository") ?? undefined;
  const { can } = useAuth();
  const app = useApp(name, repository);
  const [chosen, setChosen] = useState<string>();
  const [installing, setInstalling] = useState(false);
  const shown = chosen ?? app.data?.latest_version ?? app.data?.version_list[0]?.version;
  const version = useVersion(name, shown, repository);
  const scan = useVersionScan(name, shown, repository);
  if (app.error) return <ErrorNote error={app.error} />;
  if (!app.data) return <Busy />;
  const title = app.data.title || app.data.name;
  return (
    <>
      <p>
        <Link to="/market">{t("back")}</Link>
      </p>
      <div className="app-head">
        <AppIcon icon={app.data.icon} title={title} />
        <div>
          <h1>{title}</h1>
          <p>{app.data.description}</p>
          <p className="hint">
            {app.data.category ? categoryLabel(t, app.data.category) : null}
            {app.data.home ? ` · ${t("home", { url: app.data.home })}` : null}
          </p>
        </div>
      </div>
      {can("admin") && !installing ? (
        <div className="actions">
          <button type="button" onClick={() => setInstalling(true)} disabled={!shown}>
            {t("install")}
          </button>
        </div>
      ) : null}
      {installing ? (
        <Suspense fallback={<Busy />}>
          <InstallDialog app={app.data} version={shown} repository={repository} onClose={() => setInstalling(false)} />
        </Suspense>
      ) : null}
      <section aria-labelledby={`${id}-versions`}>
        <h2 id={`${id}-versions`}>{t("versions")}</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">{t("version")}</th>
              <th scope="col">{t("appVersion")}</th>
              <th scope="col">{t("released")}</th>
              <th scope="col">{t("changes")}</th>
            </tr>
          </thead>
          <tbody>
            {app.data.version_list.map((v) => (
              <tr key={v.version} aria-current={v.version === shown ? "true" : undefined}>
                <td>
                  <button type="button" className="link" onClick={() => setChosen(v.version)} aria-pressed={v.version === shown}>
                    {v.version}
                  </button>
                </td>
                <td>{v.app_version ?? "—"}</td>
                <td>{format.date(v.created)}</td>
                <td>
                  <VersionFlags version={v} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section aria-labelledby={`${id}-readme`}>
        <h2 id={`${id}-readme`}>
          {t("readme")} ({shown})
        </h2>
        <ErrorNote error={version.error} />
        {shown && version.isPending ? <Busy /> : version.data?.readme ? <pre className="readme">{version.data.readme}</pre> : <p>{t("noReadme")}</p>}
      </section>
      <section aria-labelledby={`${id}-scan`}>
        <h2 id={`${id}-scan`}>
          {t("scanTitle")} ({shown})
        </h2>
        <ErrorNote error={scan.error} />
        {scan.data ? <ScanReport report={scan.data} /> : shown && scan.isPending ? <Busy /> : null}
      </section>
      <Changelog versions={app.data.version_list} />
    </>
  );
}
