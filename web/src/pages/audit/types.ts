// What the audit routes answer (services/gateway/src/quickon_gateway/routes/audit.py, docs/gateway-api.md).

/** One entry: what was hashed, with its place in the chain. */
export interface AuditEntry {
  seq: number;
  event_id?: string | null;
  type?: string | null;
  subject?: string | null;
  source?: string | null;
  actor?: string | null;
  team?: string | null;
  service?: string | null;
  time?: string | null;
  recorded_at?: string | null;
  correlation_id?: string | null;
  causation_id?: string | null;
  stream_seq?: number | null;
  body?: unknown;
  flagged?: boolean;
  reason?: string | null;
  prev_hash: string;
  entry_hash: string;
  [other: string]: unknown;
}

export interface Entries {
  entries: AuditEntry[];
  next_cursor: number | null;
}

export interface Verdict {
  ok: boolean;
  entries: number;
  checkpoints: number;
  head_sequence: number;
  first_bad_sequence: number | null;
  reason: string | null;
  starts_after: number;
  duration_s: number;
  problems: { sequence: number; reason: string }[];
  stored_checkpoints?: number | null;
  store_note?: string | null;
}

export interface Proof {
  sequence: number;
  entry_hash: string;
  prev_hash: string;
  leaf_index: number;
  tree_size: number;
  audit_path: string[];
  checkpoint: { first_sequence: number; sequence: number; head_hash: string; merkle_root: string; time: string; key_id: string };
  signature: string;
  algorithm: string;
  public_key: string;
}
