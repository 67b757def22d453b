import { Link, useParams } from "react-router";

import { query } from "../../api";
import { useFormat, useT } from "../../i18n";
import { useOperation } from "../../operations";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import { OperationProgress } from "../../ui/OperationProgress";
import { labelOf, messages, targetOf } from "./messages";

/** One operation: what, on what, by whom, when; its steps live until it ends, and a failure's reason in
 * plain words. */
export function OperationPage() {
  const t = useT(messages);
  const format = useFormat();
  const { id = "" } = useParams();
  const { data: operation, error } = useOperation(id);
  if (error) return <ErrorNote error={error} />;
  if (!operation) return <Busy />;
  const service = operation.target.service;
  return (
    <>
      <p>
        <Link to="/operations">{t("back")}</Link>
      </p>
      <h1>{t("detailTitle", { kind: labelOf(t, "kind", operation.kind), target: targetOf(t, operation.target) })}</h1>
      <dl className="facts">
        <dt>{t("state")}</dt>
        <dd>{labelOf(t, "state", operation.state)}</dd>
        <dt>{t("actor")}</dt>
        <dd>{operation.actor ?? "—"}</dd>
        <dt>{t("team")}</dt>
        <dd>{operation.team ?? "—"}</dd>
        <dt>{t("started")}</dt>
        <dd>{format.date(operation.created_at)}</dd>
        <dt>{t("finished")}</dt>
        <dd>{format.date(operation.finished_at)}</dd>
      </dl>
      {operation.state === "failed" && operation.error ? (
        <section aria-labelledby="reason" className="error">
          <h2 id="reason">{t("reason")}</h2>
          <p>{operation.error.reason}</p>
        </section>
      ) : null}
      <OperationProgress id={operation.operation_id} />
      {service && operation.kind !== "uninstall" ? (
        <p>
          <Link to={`/services/${encodeURIComponent(service)}${query({ namespace: operation.target.namespace })}`}>{t("openService", { name: service })}</Link>
        </p>
      ) : null}
    </>
  );
}
