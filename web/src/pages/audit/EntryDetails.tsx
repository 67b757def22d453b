import { useMutation } from "@tanstack/react-query";
import type { ReactNode } from "react";

import { api } from "../../api";
import { useFormat, useT } from "../../i18n";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import { messages } from "./messages";
import type { AuditEntry, Proof } from "./types";

/** The whole entry: who, what, when, its place in the hash chain, its body; and its inclusion proof on
 * demand (a 409 while no checkpoint covers it yet: the gateway's detail says so). */
export function EntryDetails({ entry }: { entry: AuditEntry }) {
  const t = useT(messages);
  const format = useFormat();
  const proof = useMutation({ mutationFn: () => api.get<Proof>(`/audit/entries/${entry.seq}/proof`) });
  const rows: [string, ReactNode][] = [
    [t("time"), format.date(entry.time)],
    [t("recordedAt"), format.date(entry.recorded_at)],
    [t("type"), entry.type],
    [t("subject"), entry.subject],
    [t("source"), entry.source],
    [t("actor"), entry.actor],
    [t("team"), entry.team],
    [t("service"), entry.service],
    [t("correlation"), entry.correlation_id],
    [t("causation"), entry.causation_id],
    [t("eventId"), entry.event_id],
    [t("streamSeq"), entry.stream_seq],
    [t("flagged"), entry.flagged ? t("flaggedYes", { reason: entry.reason ?? "" }) : t("no")],
  ];
  return (
    <section aria-labelledby={`entry-${entry.seq}`} className="entry-details">
      <h2 id={`entry-${entry.seq}`}>{t("entry", { seq: entry.seq })}</h2>
      <dl className="fields">
        {rows.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value ?? "—"}</dd>
          </div>
        ))}
        <div>
          <dt>{t("prevHash")}</dt>
          <dd>
            <code className="hash">{entry.prev_hash}</code>
          </dd>
        </div>
        <div>
          <dt>{t("entryHash")}</dt>
          <dd>
            <code className="hash">{entry.entry_hash}</code>
          </dd>
        </div>
      </dl>
      <p className="hint">{t("hashHow")}</p>
      <h3>{t("body")}</h3>
      <pre className="json">{JSON.stringify(entry.body ?? null, null, 2)}</pre>
      <div className="actions">
        <button type="button" className="secondary" disabled={proof.isPending} onClick={() => proof.mutate()}>
          {t("proof")}
        </button>
      </div>
      {proof.isPending && <Busy label={t("proving")} />}
      <ErrorNote error={proof.error} />
      {proof.data && <ProofSummary proof={proof.data} />}
    </section>
  );
}

function ProofSummary({ proof }: { proof: Proof }) {
  const t = useT(messages);
  const format = useFormat();
  const cp = proof.checkpoint;
  return (
    <div className="card">
      <h3>{t("proofTitle")}</h3>
      <p role="status">
        {t("proofSays", {
          seq: proof.sequence,
          leaf: proof.leaf_index,
          size: proof.tree_size,
          first: cp.first_sequence,
          last: cp.sequence,
          time: format.date(cp.time),
          key: cp.key_id,
          algorithm: proof.algorithm,
          path: proof.audit_path.length,
        })}
      </p>
      <dl className="fields">
        <div>
          <dt>{t("merkleRoot")}</dt>
          <dd>
            <code className="hash">{cp.merkle_root}</code>
          </dd>
        </div>
      </dl>
      <p className="hint">{t("proofOffline", { seq: proof.sequence })}</p>
    </div>
  );
}
