import { useMutation } from "@tanstack/react-query";

import { api } from "../../api";
import { useFormat, useT } from "../../i18n";
import { Busy } from "../../ui/Busy";
import { ErrorNote } from "../../ui/ErrorNote";
import { messages } from "./messages";
import type { Verdict } from "./types";

const VERIFY_TIMEOUT_MS = 600_000; // the gateway gives the audit service ten minutes for a whole log

/** Verifies the whole log (platform admins: the gateway refuses anyone else) and says plainly what the
 * verdict means: intact, or broken at entry N and what to do about it. */
export function VerifyPanel() {
  const t = useT(messages);
  const verify = useMutation({
    mutationFn: () => api.get<Verdict>("/audit/verify", AbortSignal.timeout(VERIFY_TIMEOUT_MS)),
  });
  return (
    <section aria-labelledby="audit-verify" className="card">
      <h2 id="audit-verify">{t("verifyTitle")}</h2>
      <p className="hint">{t("verifyHow")}</p>
      <div className="actions">
        <button type="button" disabled={verify.isPending} onClick={() => verify.mutate()}>
          {t("verify")}
        </button>
      </div>
      {verify.isPending && <Busy label={t("verifying")} />}
      <ErrorNote error={verify.error} />
      {verify.data && <VerdictNote verdict={verify.data} />}
    </section>
  );
}

function VerdictNote({ verdict }: { verdict: Verdict }) {
  const t = useT(messages);
  const format = useFormat();
  const seq = verdict.first_bad_sequence ?? verdict.head_sequence;
  return (
    <div role="status" className={verdict.ok ? "verdict verdict-ok" : "verdict verdict-bad"} data-ok={verdict.ok}>
      {verdict.ok ? (
        <>
          <p className="status-ok">
            <strong>
              {t("intact", {
                entries: format.number(verdict.entries),
                checkpoints: format.number(verdict.checkpoints),
                seconds: format.number(Math.round(verdict.duration_s * 100) / 100),
                head: verdict.head_sequence,
              })}
            </strong>
          </p>
          <p>{t("intactMeaning")}</p>
        </>
      ) : (
        <>
          <p className="status-bad">
            <strong>{t("broken", { seq, reason: verdict.reason ?? "" })}</strong>
          </p>
          <p>{t("brokenMeaning", { seq })}</p>
          {verdict.problems.length > 1 && (
            <>
              <h3>{t("moreProblems")}</h3>
              <ul>
                {verdict.problems.slice(1).map((problem) => (
                  <li key={`${problem.sequence}-${problem.reason}`}>
                    {problem.sequence}: {problem.reason}
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
      {verdict.starts_after > 0 && <p className="hint">{t("retained", { seq: verdict.starts_after })}</p>}
      {verdict.store_note && <p className="hint">{t("storeNote", { note: verdict.store_note })}</p>}
    </div>
  );
}
