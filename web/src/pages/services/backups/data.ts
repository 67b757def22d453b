// What the backups tab reads from the gateway (GET …/backups, …/backups/schedule, the service for its team),
// and the paths of the commands it sends. The service's namespace comes from `?namespace=` when the URL
// names one; otherwise the gateway picks it (the caller's only team's, else `default`).
import { useQuery } from "@tanstack/react-query";

import { api, query } from "../../../api";
import type { Role } from "../../../auth";

/** Whether the user holds a role in the service's team. */
export type May = (role: Role) => boolean;

export interface Backup {
  backup_id: string;
  service: string;
  namespace: string;
  team?: string | null;
  trigger: string;
  status: "running" | "completed" | "failed" | "deleted" | string;
  reason?: string | null;
  size_bytes?: number | null;
  parts?: number | null;
  created_at?: string | null;
  completed_at?: string | null;
  verified_at?: string | null;
}

export interface Schedule {
  service: string;
  namespace: string;
  cron: string;
  timezone: string;
  keep_last?: number | null;
  drill?: boolean;
  next_run_at?: string | null;
  last_run_at?: string | null;
}

export interface ServiceRef {
  name: string;
  namespace?: string;
}

const inNamespace = (ref: ServiceRef) => query({ namespace: ref.namespace });
export const servicePath = (ref: ServiceRef, rest = "") => `/services/${encodeURIComponent(ref.name)}${rest}${inNamespace(ref)}`;
export const backupPath = (id: string, rest = "") => `/backups/${encodeURIComponent(id)}${rest}`;

export const backupsKey = (ref: ServiceRef) => ["backups", ref.namespace ?? "", ref.name];
export const scheduleKey = (ref: ServiceRef) => ["backup-schedule", ref.namespace ?? "", ref.name];

/** The service's backups, newest first (the gateway's order), asked again every few seconds while one runs. */
export function useBackups(ref: ServiceRef) {
  return useQuery({
    queryKey: backupsKey(ref),
    queryFn: ({ signal }) => api.get<{ backups: Backup[] }>(servicePath(ref, "/backups"), signal),
    select: (data) => data.backups,
    refetchInterval: (q) => (q.state.data?.backups.some((b) => b.status === "running") ? 2000 : false),
  });
}

export function useSchedule(ref: ServiceRef) {
  return useQuery({
    queryKey: scheduleKey(ref),
    queryFn: ({ signal }) => api.get<{ schedules: Schedule[] }>(servicePath(ref, "/backups/schedule"), signal),
    select: (data) => data.schedules[0] ?? null,
  });
}

/** The team that owns the service: what the buttons' roles are checked against. */
export function useServiceTeam(ref: ServiceRef) {
  return useQuery({
    queryKey: ["service", ref.namespace ?? "", ref.name],
    queryFn: ({ signal }) => api.get<{ team?: string | null; namespace: string }>(servicePath(ref), signal),
    select: (data) => data.team ?? null,
  });
}
