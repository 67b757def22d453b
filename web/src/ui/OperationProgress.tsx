import { useEffect } from "react";

import { defineMessages, useFormat, useT } from "../i18n";
import { ended, type Operation, useOperation } from "../operations";
import { Busy } from "./Busy";
import { ErrorNote } from "./ErrorNote";

const messages = defineMessages({
  en: {
    progress: "Progress of {kind} {target}",
    pending: "Waiting for the platform to take it…",
    running: "Working…",
    succeeded: "Done.",
    failed: "Failed: {reason}",
    failedAt: "Failed at step {step}: {reason}",
    warning: "Warning: {field}: {message}",
  },
  "zh-CN": {
    progress: "{kind} {target} 的进度",
    pending: "等待平台接收…",
    running: "进行中…",
    succeeded: "已完成。",
    failed: "失败：{reason}",
    failedAt: "在步骤 {step} 失败：{reason}",
    warning: "警告：{field}：{message}",
  },
});

/** An operation's live progress: its state, each step as it happens, and the reason when it failed.
 * ``onEnded`` runs once when it ends (to refresh what it changed). */
export function OperationProgress({ id, onEnded }: { id: string; onEnded?: (operation: Operation) => void }) {
  const t = useT(messages);
  const format = useFormat();
  const { data: operation, error } = useOperation(id);
  const done = ended(operation);
  useEffect(() => {
    if (done && operation && onEnded) onEnded(operation);
    // Once per end: the operation changes identity on every poll, whether it ended does not.
  }, [done]);
  if (error) return <ErrorNote error={error} />;
  if (!operation) return <Busy />;
  const target = operation.target.service ?? operation.target.repository ?? operation.target.node ?? operation.target.component ?? "";
  return (
    <section aria-label={t("progress", { kind: operation.kind, target })} className="card operation" data-state={operation.state}>
      <p role="status" aria-live="polite" className={operation.state === "failed" ? "status-bad" : operation.state === "succeeded" ? "status-ok" : ""}>
        {operation.state === "failed"
          ? operation.error?.step
            ? t("failedAt", { step: operation.error.step, reason: operation.error.reason })
            : t("failed", { reason: operation.error?.reason ?? "" })
          : t(operation.state)}
      </p>
      {operation.warnings?.map((w) => (
        <p key={w.field}>{t("warning", { field: w.field, message: w.message })}</p>
      ))}
      <ol className="steps">
        {operation.steps.map((step, index) => (
          <li key={`${step.step}-${index}`} data-state={step.state}>
            <span>{step.step}</span> — <span>{step.state}</span>
            {step.detail ? <span>: {step.detail}</span> : null}
            {step.at ? <time dateTime={step.at}> ({format.date(step.at)})</time> : null}
          </li>
        ))}
      </ol>
    </section>
  );
}
