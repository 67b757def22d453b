import { useFormat, useT } from "../../i18n";
import type { Change, VersionSummary } from "./api";
import { messages } from "./messages";

function describe(change: Change | string): string {
  if (typeof change === "string") return change;
  return change.kind ? `${change.kind}: ${change.description ?? ""}` : (change.description ?? "");
}

/** Flags a version carries, in words (never by colour alone). */
export function VersionFlags({ version }: { version: VersionSummary }) {
  const t = useT(messages);
  return (
    <>
      {version.contains_security_updates ? <span className="flag flag-security">{t("security")}</span> : null}
      {version.breaking ? <span className="flag flag-breaking">{t("breaking")}</span> : null}
      {version.prerelease ? <span className="flag">{t("prerelease")}</span> : null}
      {version.deprecated ? <span className="flag">{t("deprecated")}</span> : null}
    </>
  );
}

/** Every version's changes, newest first, with its security and breaking flags. */
export function Changelog({ versions }: { versions: VersionSummary[] }) {
  const t = useT(messages);
  const format = useFormat();
  return (
    <section aria-labelledby="changelog">
      <h2 id="changelog">{t("changelog")}</h2>
      {versions.map((version) => (
        <article key={version.version} className="changelog-entry">
          <h3>
            {version.version} <VersionFlags version={version} />
          </h3>
          {version.created ? <p className="hint">{format.date(version.created)}</p> : null}
          {version.changes.length ? (
            <ul>
              {version.changes.map((change, index) => (
                <li key={index}>{describe(change)}</li>
              ))}
            </ul>
          ) : (
            <p className="hint">{t("noChanges")}</p>
          )}
        </article>
      ))}
    </section>
  );
}
