import { defineMessages, useT } from "../../i18n";
import type { Change, Preview, ValueChange } from "./data";

const messages = defineMessages({
  en: {
    preview: "What the upgrade changes",
    from: "From {from} to {to}",
    breaking: "This upgrade has breaking changes: read the changelog before going on.",
    changelog: "Changelog",
    noChangelog: "The chart's versions in between list no changes.",
    values: "Values",
    noValues: "No value changes.",
    path: "Value",
    change: "Change",
    before: "Before",
    after: "After",
    added: "added",
    removed: "removed",
    changed: "changed",
    invalid: "The values do not fit this version, so it cannot be upgraded to as they are:",
    manifest: "Objects",
    counts: "{added} added, {removed} removed, {changed} changed, {unchanged} unchanged",
    addedObject: "Added: {object}",
    removedObject: "Removed: {object}",
  },
  "zh-CN": {
    preview: "升级将带来的变更",
    from: "从 {from} 升级到 {to}",
    breaking: "此次升级包含不兼容变更：请先阅读更新日志。",
    changelog: "更新日志",
    noChangelog: "其间各版本未列出变更。",
    values: "配置值",
    noValues: "配置值没有变化。",
    path: "配置项",
    change: "变化",
    before: "之前",
    after: "之后",
    added: "新增",
    removed: "删除",
    changed: "修改",
    invalid: "配置值不符合该版本，无法按现有配置升级：",
    manifest: "对象",
    counts: "新增 {added}，删除 {removed}，修改 {changed}，未变 {unchanged}",
    addedObject: "新增：{object}",
    removedObject: "删除：{object}",
  },
});

// An empty string shows as "" (a blank cell would read as "nothing there").
const shown = (value: unknown) => (value === null || value === undefined ? "—" : typeof value === "string" && value ? value : JSON.stringify(value));
const describe = (change: Change | string) => (typeof change === "string" ? change : [change.kind, change.description].filter(Boolean).join(": "));

/** An upgrade's preview as the deployer worked it out: changelog in between, values diff, objects diff. */
export function UpgradePreview({ preview }: { preview: Preview }) {
  const t = useT(messages);
  const manifest = preview.manifest_diff;
  const values: ValueChange[] = preview.values_diff ?? [];
  return (
    <section aria-label={t("preview")} className="preview">
      <p>{t("from", { from: preview.from_version ?? "—", to: preview.to_version ?? "—" })}</p>
      {preview.breaking ? (
        <p role="alert" className="error">
          {t("breaking")}
        </p>
      ) : null}
      <h3>{t("changelog")}</h3>
      {preview.changelog.length ? (
        <dl className="changelog">
          {preview.changelog.map((entry) => (
            <div key={entry.version}>
              <dt>{entry.version}</dt>
              {entry.changes.map((change, index) => (
                <dd key={index}>{describe(change)}</dd>
              ))}
            </div>
          ))}
        </dl>
      ) : (
        <p>{t("noChangelog")}</p>
      )}
      <h3>{t("values")}</h3>
      {preview.values_valid === false ? (
        <div className="error">
          <p>{t("invalid")}</p>
          <ul>
            {preview.values_errors.map((error, index) => (
              <li key={index}>{shown(error)}</li>
            ))}
          </ul>
        </div>
      ) : null}
      {values.length ? (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("path")}</th>
              <th scope="col">{t("change")}</th>
              <th scope="col">{t("before")}</th>
              <th scope="col">{t("after")}</th>
            </tr>
          </thead>
          <tbody>
            {values.map((v) => (
              <tr key={v.path}>
                <td>
                  <code>{v.path}</code>
                </td>
                <td>{t(v.change)}</td>
                <td>
                  <code>{shown(v.before)}</code>
                </td>
                <td>
                  <code>{shown(v.after)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p>{t("noValues")}</p>
      )}
      {manifest ? (
        <>
          <h3>{t("manifest")}</h3>
          <p>
            {t("counts", { added: manifest.added.length, removed: manifest.removed.length, changed: manifest.changed.length, unchanged: manifest.unchanged })}
          </p>
          <ul>
            {manifest.added.map((o) => (
              <li key={`+${o}`}>{t("addedObject", { object: o })}</li>
            ))}
            {manifest.removed.map((o) => (
              <li key={`-${o}`}>{t("removedObject", { object: o })}</li>
            ))}
          </ul>
          {manifest.changed.map((c) => (
            <details key={c.object} open={manifest.changed.length <= 3}>
              <summary>{c.object}</summary>
              <pre className="diff" tabIndex={0} aria-label={c.object}>
                {c.diff}
              </pre>
            </details>
          ))}
        </>
      ) : null}
    </section>
  );
}
