// What the monitor's routes answer through the gateway (routes/alerts.py, routes/channels.py; the models are
// quickon_common.contracts.queries.monitor and .channels). ``team`` is a team's id; none: the platform's.

export type Severity = "info" | "warning" | "critical";
export const SEVERITIES: Severity[] = ["critical", "warning", "info"]; // the order a reader scans them

export interface Alert {
  alert_id: string;
  rule_id?: string | null;
  rule: string;
  team?: string | null;
  origin: string; // prometheus, behaviour or alertmanager
  state: string; // pending, firing or resolved
  severity: string;
  labels: Record<string, string>;
  summary: string;
  value?: number | null;
  service?: string | null;
  namespace?: string | null;
  silenced: boolean;
  active_at?: string | null;
  fired_at?: string | null;
  resolved_at?: string | null;
  acknowledged_by?: string | null;
  acknowledged_at?: string | null;
}

export interface MatcherBody {
  name: string;
  value: string;
  is_regex: boolean;
  is_equal: boolean;
}

export interface Silence {
  silence_id: string;
  team?: string | null;
  matchers: MatcherBody[];
  starts_at: string;
  ends_at: string;
  comment: string;
  created_by?: string | null;
  active: boolean;
}

export interface Rule {
  rule_id: string;
  name: string;
  team?: string | null;
  kind: string; // prometheus or behaviour
  template?: string | null;
  params: Record<string, number | string>;
  expr?: string | null;
  query?: string | null; // the PromQL evaluated (a template's, rendered)
  for_s: number;
  keep_firing_for_s: number;
  severity: Severity;
  labels: Record<string, string>;
  summary: string;
  enabled: boolean;
  builtin: boolean;
  last_error?: string | null;
  updated_at?: string | null;
}

/** What POST/PUT /alert-rules take (RuleSpec; POST also ``team``). */
export interface RuleSpec {
  name: string;
  template?: string | null;
  params?: Record<string, number | string>;
  expr?: string | null;
  for_s: number;
  keep_firing_for_s?: number;
  severity: Severity;
  labels?: Record<string, string>;
  summary: string;
  enabled: boolean;
}

export const CHANNEL_KINDS = ["webhook", "slack", "dingtalk", "wecom", "feishu", "email"] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];
export const TOPICS = [
  "alert.fired",
  "alert.resolved",
  "install.succeeded",
  "install.failed",
  "upgrade.succeeded",
  "upgrade.failed",
  "backup.succeeded",
  "backup.failed",
] as const;
export type Topic = (typeof TOPICS)[number];

export interface EmailTarget {
  host: string;
  port: number;
  starttls: boolean;
  username?: string | null;
  sender: string;
  recipients: string[];
}

export interface Channel {
  channel_id: string;
  team?: string | null;
  definition: {
    name: string;
    kind: ChannelKind;
    language: "en" | "zh";
    topics: Topic[];
    severities: Severity[];
    email?: EmailTarget | null;
    url_hint?: string | null;
    enabled: boolean;
  };
  failing: boolean;
  created_at?: string | null;
  updated_at?: string | null;
}

export interface Attempt {
  number: number;
  at: string;
  ok: boolean;
  status?: number | null;
  detail: string;
}

export interface Delivery {
  delivery_id: string;
  event_id: string;
  event_type: string;
  state: string; // pending, delivered or failed
  tries: number;
  created_at: string;
  finished_at?: string | null;
  attempts: Attempt[];
}

export interface TestResult {
  ok: boolean;
  status?: number | null;
  detail: string;
}
