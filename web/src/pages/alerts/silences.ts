// A silence from an alert: its labels as matchers (the person keeps the ones that say what to silence), how
// long, and why; checked here so the form says what is wrong before the gateway is asked.
import { parseDuration } from "./duration";
import type { MatcherBody } from "./types";

export const MAX_SILENCE_S = 366 * 86_400; // the gateway refuses a silence longer than a year
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
// Labels that name what an alert is about, offered first; the rest follow by name.
const FIRST = ["alertname", "service", "namespace", "pod", "node", "instance", "job", "severity"];

/** One matcher per label of ``labels``, equal to its value, the telling ones first. */
export function matchersOf(labels: Record<string, string>): MatcherBody[] {
  const rank = (name: string) => (FIRST.includes(name) ? FIRST.indexOf(name) : FIRST.length);
  return Object.keys(labels)
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .map((name) => ({ name, value: labels[name]!, is_regex: false, is_equal: true }));
}

export interface SilenceForm {
  matchers: MatcherBody[];
  duration: string; // "2h", "1d"…
  comment: string;
  team: string | null; // the alert's team (id); none: the platform's
}

export interface SilenceBody {
  matchers: MatcherBody[];
  ends_at: string;
  comment: string;
  team: string | null;
}

export type SilenceProblem = "noMatcher" | "badMatcher" | "badDuration";

/** What POST /silences takes, ending ``duration`` after ``now``; or what is wrong with the form. */
export function silenceBody(form: SilenceForm, now: Date): SilenceBody | SilenceProblem {
  if (form.matchers.length === 0) return "noMatcher";
  if (form.matchers.some((m) => !LABEL_NAME.test(m.name))) return "badMatcher";
  const seconds = parseDuration(form.duration);
  if (seconds === null || seconds <= 0 || seconds > MAX_SILENCE_S) return "badDuration";
  const ends = new Date(now.getTime() + seconds * 1000);
  return { matchers: form.matchers, ends_at: ends.toISOString(), comment: form.comment.trim(), team: form.team };
}
