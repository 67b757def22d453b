import { useInfiniteQuery } from "@tanstack/react-query";
import { Fragment, useState } from "react";

import { api, query } from "../../api";
import { useFormat, useT } from "../../i18n";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import { EntryDetails } from "./EntryDetails";
import { shortType } from "../../ui/eventType";
import { apiParams, type Filters } from "./filters";
import { messages } from "./messages";
import type { Entries } from "./types";

const PAGE = 50;
const COLUMNS = 7;

/** The matching entries, newest first, a page at a time (the gateway's cursor); each opens in place. */
export function EntryTable({ filters }: { filters: Filters }) {
  const t = useT(messages);
  const format = useFormat();
  const [open, setOpen] = useState<number | null>(null);
  const pages = useInfiniteQuery({
    queryKey: ["audit", filters],
    queryFn: ({ pageParam, signal }) => api.get<Entries>(`/audit${query({ ...apiParams(filters), cursor: pageParam, limit: PAGE })}`, signal),
    initialPageParam: undefined as number | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  if (pages.isPending) return <Busy label={t("searching")} />;
  // A failed first page leaves nothing to show; a failed next page keeps the ones already there.
  if (pages.isError && !pages.isFetchNextPageError) return <ErrorNote error={pages.error} />;
  const entries = pages.data.pages.flatMap((page) => page.entries);
  if (entries.length === 0) return <p>{t("noEntries")}</p>;
  return (
    <>
      <table aria-label={t("entries")}>
        <thead>
          <tr>
            <th scope="col">{t("seq")}</th>
            <th scope="col">{t("time")}</th>
            <th scope="col">{t("type")}</th>
            <th scope="col">{t("actor")}</th>
            <th scope="col">{t("team")}</th>
            <th scope="col">{t("service")}</th>
            <th scope="col">
              <span className="visually-hidden">{t("details")}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <Fragment key={entry.seq}>
              <tr data-seq={entry.seq}>
                <td>{entry.seq}</td>
                <td>
                  <time dateTime={entry.time ?? undefined}>{format.date(entry.time)}</time>
                </td>
                <td title={entry.type ?? undefined}>{shortType(entry.type)}</td>
                <td>{entry.actor ?? "—"}</td>
                <td>{entry.team ?? "—"}</td>
                <td>{entry.service ?? "—"}</td>
                <td>
                  <button
                    type="button"
                    className="secondary"
                    aria-expanded={open === entry.seq}
                    aria-label={t(open === entry.seq ? "hideDetails" : "detailsOf", { seq: entry.seq })}
                    onClick={() => setOpen(open === entry.seq ? null : entry.seq)}
                  >
                    {t(open === entry.seq ? "hideDetails" : "details")}
                  </button>
                </td>
              </tr>
              {open === entry.seq && (
                <tr>
                  <td colSpan={COLUMNS}>
                    <EntryDetails entry={entry} />
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
      {pages.hasNextPage && (
        <div className="actions">
          <button type="button" className="secondary" disabled={pages.isFetchingNextPage} onClick={() => void pages.fetchNextPage()}>
            {t("more")}
          </button>
        </div>
      )}
      {pages.isFetchingNextPage && <Busy label={t("loadingMore")} />}
      <ErrorNote error={pages.isFetchNextPageError ? pages.error : null} />
    </>
  );
}
