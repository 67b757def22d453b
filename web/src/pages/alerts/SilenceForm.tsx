// A silence made from an alert: its labels as matchers to keep or remove, how long, why; the alert's team's.
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";

import { api } from "../../api";
import { useT } from "../../i18n";
import type { Operation } from "../../operations";
import { ErrorNote } from "../../ui/ErrorNote";
import { messages } from "./messages";
import { matchersOf, silenceBody } from "./silences";
import type { Alert, MatcherBody } from "./types";

export function SilenceForm({ alert, onDone, onCancel }: { alert: Alert; onDone: (operation: Operation) => void; onCancel: () => void }) {
  const t = useT(messages);
  const id = useId();
  const [matchers, setMatchers] = useState<MatcherBody[]>(() => matchersOf(alert.labels));
  const [duration, setDuration] = useState("2h");
  const [comment, setComment] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const save = useMutation({ mutationFn: (body: unknown) => api.post<Operation>("/silences", body), onSuccess: onDone });
  const change = (index: number, part: Partial<MatcherBody>) => setMatchers(matchers.map((m, i) => (i === index ? { ...m, ...part } : m)));

  function submit(event: FormEvent) {
    event.preventDefault();
    const body = silenceBody({ matchers, duration, comment, team: alert.team ?? null }, new Date());
    if (typeof body === "string") return setProblem(t(body));
    setProblem(null);
    save.mutate(body);
  }

  return (
    <form className="dialog" aria-labelledby={`${id}-title`} onSubmit={submit} noValidate>
      <h3 id={`${id}-title`}>{t("silenceTitle", { name: alert.rule })}</h3>
      <p className="hint">{t("silenceHow")}</p>
      <fieldset>
        <legend>{t("matchers")}</legend>
        {matchers.map((matcher, index) => {
          const n = index + 1;
          return (
            <div className="form-row" key={index} data-matcher={matcher.name}>
              <label>
                {t("label")}
                <input aria-label={t("labelOf", { n })} value={matcher.name} onChange={(e) => change(index, { name: e.target.value })} autoComplete="off" />
              </label>
              <label>
                {t("value")}
                <input aria-label={t("valueOf", { n })} value={matcher.value} onChange={(e) => change(index, { value: e.target.value })} autoComplete="off" />
              </label>
              <label className="check">
                <input type="checkbox" aria-label={t("regexOf", { n })} checked={matcher.is_regex} onChange={(e) => change(index, { is_regex: e.target.checked })} />
                {t("regex")}
              </label>
              <div className="actions">
                <button type="button" className="secondary" aria-label={t("removeMatcher", { n })} onClick={() => setMatchers(matchers.filter((_, i) => i !== index))}>
                  ×
                </button>
              </div>
            </div>
          );
        })}
      </fieldset>
      <div className="form-row">
        <label htmlFor={`${id}-duration`}>
          {t("duration")}
          <input id={`${id}-duration`} value={duration} onChange={(e) => setDuration(e.target.value)} aria-describedby={`${id}-duration-hint`} autoComplete="off" />
          <span id={`${id}-duration-hint`} className="hint">
            {t("durationHint")}
          </span>
        </label>
        <label htmlFor={`${id}-comment`} className="wide">
          {t("comment")}
          <input id={`${id}-comment`} value={comment} onChange={(e) => setComment(e.target.value)} maxLength={500} autoComplete="off" />
        </label>
      </div>
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
      <ErrorNote error={save.error} />
      <div className="actions">
        <button type="submit" disabled={save.isPending}>
          {t("save")}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          {t("cancel")}
        </button>
      </div>
    </form>
  );
}
