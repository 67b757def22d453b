// A notification channel as the form has it and as the gateway takes it (routes/channels.py ChannelBody). The
// address and secrets are never shown again once saved: on a change, empty fields keep the ones it has.
import { TOPICS, type Channel, type ChannelKind, type Severity, type Topic } from "./types";

export const URL_KINDS: ChannelKind[] = ["webhook", "slack", "dingtalk", "wecom", "feishu"];
/** The kinds that sign their messages with a secret (Slack's and WeCom's key is in their URL). */
export const SIGNED_KINDS: ChannelKind[] = ["webhook", "dingtalk", "feishu"];
export const DEFAULT_SEVERITIES: Severity[] = ["warning", "critical"]; // info alerts stay in the console

export interface ChannelForm {
  name: string;
  team: string | null; // a team's id; null: the platform's (only when creating)
  kind: ChannelKind;
  language: "en" | "zh";
  url: string;
  secret: string;
  host: string;
  port: string;
  starttls: boolean;
  username: string;
  sender: string;
  recipients: string; // one per line, or separated by commas
  password: string;
  topics: Topic[];
  severities: Severity[];
  enabled: boolean;
}

export const emptyChannel = (team: string | null): ChannelForm => ({
  name: "",
  team,
  kind: "webhook",
  language: "en",
  url: "",
  secret: "",
  host: "",
  port: "587",
  starttls: true,
  username: "",
  sender: "",
  recipients: "",
  password: "",
  topics: [...TOPICS],
  severities: [...DEFAULT_SEVERITIES],
  enabled: true,
});

/** The form of a saved channel: its definition; the address and secrets empty (kept unless typed anew). */
export function formOf(channel: Channel): ChannelForm {
  const d = channel.definition;
  return {
    ...emptyChannel(channel.team ?? null),
    name: d.name,
    kind: d.kind,
    language: d.language,
    host: d.email?.host ?? "",
    port: String(d.email?.port ?? 587),
    starttls: d.email?.starttls ?? true,
    username: d.email?.username ?? "",
    sender: d.email?.sender ?? "",
    recipients: (d.email?.recipients ?? []).join("\n"),
    topics: [...d.topics],
    severities: [...d.severities],
    enabled: d.enabled,
  };
}

export interface ChannelProblem {
  field: string;
  key: "nameMissing" | "urlMissing" | "hostMissing" | "badPort" | "senderMissing" | "recipientsMissing" | "nothingChosen";
}

/** The body of POST (``creating``) or PUT from the form; or the first thing wrong with it. */
export function channelBody(form: ChannelForm, creating: boolean): Record<string, unknown> | ChannelProblem {
  const name = form.name.trim();
  if (!name) return { field: "name", key: "nameMissing" };
  if (form.topics.length === 0) return { field: "topics", key: "nothingChosen" };
  const body: Record<string, unknown> = {
    name,
    kind: form.kind,
    language: form.language,
    topics: form.topics,
    severities: form.severities,
    enabled: form.enabled,
  };
  if (creating) body.team = form.team;
  if (form.kind === "email") {
    const port = Number(form.port);
    const recipients = form.recipients.split(/[\s,;]+/).filter(Boolean);
    if (!form.host.trim()) return { field: "email.host", key: "hostMissing" };
    if (!Number.isInteger(port) || port < 1 || port > 65535) return { field: "email.port", key: "badPort" };
    if (!form.sender.trim()) return { field: "email.sender", key: "senderMissing" };
    if (recipients.length === 0) return { field: "email.recipients", key: "recipientsMissing" };
    body.email = { host: form.host.trim(), port, starttls: form.starttls, username: form.username.trim() || null, sender: form.sender.trim(), recipients };
    if (form.password) body.password = form.password;
    return body;
  }
  const url = form.url.trim();
  if (creating && !url) return { field: "url", key: "urlMissing" };
  // A new secret comes with the URL it signs for (the gateway keeps both, or replaces both).
  if (!creating && form.secret && !url) return { field: "url", key: "urlMissing" };
  if (url) body.url = url;
  if (url && form.secret && SIGNED_KINDS.includes(form.kind)) body.secret = form.secret;
  return body;
}

export function isChannelProblem(value: Record<string, unknown> | ChannelProblem): value is ChannelProblem {
  return typeof value.key === "string" && typeof value.field === "string" && !("kind" in value);
}
