import { useQuery } from "@tanstack/react-query";
import { useId } from "react";
import { Link, useSearchParams } from "react-router";

import { api, query } from "../../api";
import { useFormat, useT } from "../../i18n";
import { ended, type Operation } from "../../operations";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import { labelOf, messages, targetOf } from "./messages";

const STATES = ["pending", "running", "succeeded", "failed"] as const;

/** The newest operations the user may see, newest first, filtered by state (kept in the URL); asked for
 * again every few seconds while one of them has not ended. */
export function OperationList() {
  const t = useT(messages);
  const format = useFormat();
  const id = useId();
  const [params, setParams] = useSearchParams();
  const state = params.get("state") ?? "";
  const list = useQuery({
    queryKey: ["operations", state],
    queryFn: ({ signal }) => api.get<{ operations: Operation[] }>(`/operations${query({ state, limit: 100 })}`, signal),
    refetchInterval: (q) => (q.state.data?.operations.some((o) => !ended(o)) ? 2000 : 10_000),
  });
  const operations = list.data?.operations ?? [];
  return (
    <>
      <h1>{t("title")}</h1>
      <label htmlFor={`${id}-state`} className="inline">
        {t("filter")}
        <select id={`${id}-state`} value={state} onChange={(e) => setParams(e.target.value ? { state: e.target.value } : {}, { replace: true })}>
          <option value="">{t("all")}</option>
          {STATES.map((s) => (
            <option key={s} value={s}>
              {labelOf(t, "state", s)}
            </option>
          ))}
        </select>
      </label>
      <ErrorNote error={list.error} />
      {list.isPending ? (
        <Busy />
      ) : operations.length === 0 ? (
        <p>{state ? t("noneInState") : t("none")}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("started")}</th>
              <th scope="col">{t("kind")}</th>
              <th scope="col">{t("target")}</th>
              <th scope="col">{t("state")}</th>
              <th scope="col">{t("actor")}</th>
            </tr>
          </thead>
          <tbody>
            {operations.map((o) => (
              <tr key={o.operation_id} data-state={o.state}>
                <td>
                  <Link to={`/operations/${encodeURIComponent(o.operation_id)}`}>
                    <time dateTime={o.created_at}>{format.date(o.created_at)}</time>
                  </Link>
                </td>
                <td>{labelOf(t, "kind", o.kind)}</td>
                <td>{targetOf(t, o.target)}</td>
                <td className={o.state === "failed" ? "status-bad" : o.state === "succeeded" ? "status-ok" : ""}>
                  {labelOf(t, "state", o.state)}
                </td>
                <td>{o.actor ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
