import { useDeferredValue, useId } from "react";
import { useSearchParams } from "react-router";

import { useT } from "../../i18n";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import { useApps, useCategories } from "./api";
import { AppCard } from "./AppCard";
import { categoryLabel, messages } from "./messages";

/** The market: search by words, narrow by category, one card per app. The search lives in the URL, so
 * going back from an app returns to the same results. */
export function MarketList() {
  const t = useT(messages);
  const id = useId();
  const [params, setParams] = useSearchParams();
  const text = params.get("q") ?? "";
  const category = params.get("category") ?? "";
  const searched = useDeferredValue(text);
  const apps = useApps(searched.trim(), category);
  const categories = useCategories();
  const set = (key: string, value: string) =>
    setParams(
      (previous) => {
        const next = new URLSearchParams(previous);
        if (value) next.set(key, value);
        else next.delete(key);
        return next;
      },
      { replace: true },
    );
  return (
    <>
      <h1>{t("title")}</h1>
      <div role="search" className="filters">
        <label htmlFor={`${id}-q`}>
          {t("search")}
          <input id={`${id}-q`} type="search" value={text} placeholder={t("searchHint")} onChange={(e) => set("q", e.target.value)} />
        </label>
        <label htmlFor={`${id}-c`}>
          {t("category")}
          <select id={`${id}-c`} value={category} onChange={(e) => set("category", e.target.value)}>
            <option value="">{t("allCategories")}</option>
            {Object.entries(categories.data?.categories ?? {}).map(([name, count]) => (
              <option key={name} value={name}>
                {categoryLabel(t, name)} ({count})
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNote error={apps.error ?? categories.error} />
      {apps.isPending ? (
        <Busy />
      ) : apps.data ? (
        <>
          <p role="status" className="hint">
            {apps.data.apps.length ? t("found", { count: apps.data.total }) : t("none")}
          </p>
          <ul className="grid plain" aria-busy={apps.isFetching}>
            {apps.data.apps.map((app) => (
              <AppCard key={app.id} app={app} />
            ))}
          </ul>
        </>
      ) : null}
    </>
  );
}
