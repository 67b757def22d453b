// What the admin pages read from the gateway (docs/gateway-api.md: users, teams, repositories, platform).
import type { Role } from "../../auth";

export interface UserView {
  user_id: string;
  username: string;
  is_admin: boolean;
  disabled: boolean;
  teams: { team: string; name: string; role: Role }[];
  created_at: string;
}

export interface TeamView {
  team: string;
  name: string;
  namespaces: string[];
  role?: Role | null;
}

export interface Member {
  user_id: string;
  username: string;
  role: Role;
}

export interface RepositoryView {
  name: string;
  url: string;
  builtin?: boolean | null;
  status?: string | null;
  last_error?: string | null;
  synced_at?: string | null;
  checked_at?: string | null;
  apps?: number | null;
}

export interface Instance {
  instance: string;
  ready: boolean;
  version: string;
  failing: Record<string, string>;
  outbox_backlog?: number | null;
  leads?: boolean;
}

export interface Component {
  service: string;
  up: boolean;
  ready: boolean;
  version?: string | null;
  detail?: string | null;
  failing: Record<string, string>;
  replicas: number;
  instances: Instance[];
  desired_replicas?: number | null;
  operation_id?: string | null;
}

export const ROLES: Role[] = ["viewer", "operator", "admin", "owner"];
