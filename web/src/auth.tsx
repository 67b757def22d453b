// Who is signed in, and what they may do: the console shows only what the user may see and offers only
// what they may do (the gateway checks again; this only keeps buttons that would be refused off the page).
import { queryOptions, useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from "react";

import { api, request, session, whenUnauthorized } from "./api";

export type Role = "viewer" | "operator" | "admin" | "owner";
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2, owner: 3 };

export interface Membership {
  team: string;
  name: string;
  role: Role;
}

export interface Me {
  user_id: string;
  username: string;
  is_admin: boolean;
  teams: Membership[];
}

/** Whether ``me`` holds at least ``role`` in ``team`` (any team when none is named); platform admins may all. */
export function allows(me: Me | undefined, role: Role, team?: string): boolean {
  if (!me) return false;
  if (me.is_admin) return true;
  return me.teams.some((m) => (team === undefined || m.team === team || m.name === team) && RANK[m.role] >= RANK[role]);
}

/** Whether ``me`` holds at least ``role`` in ``owner``, the team a rule, alert, silence or channel belongs to;
 * one that belongs to no team is the platform's, which only platform admins manage. */
export function allowsOn(me: Me | undefined, role: Role, owner: string | null | undefined): boolean {
  if (owner === null || owner === undefined) return Boolean(me?.is_admin);
  return allows(me, role, owner);
}

interface AuthState {
  me: Me | undefined;
  signedIn: boolean;
  logIn: (username: string, password: string) => Promise<void>;
  logOut: () => Promise<void>;
  can: (role: Role, team?: string) => boolean;
  /** ``can`` for what belongs to a team or, with none, to the platform (allowsOn). */
  canOn: (role: Role, owner: string | null | undefined) => boolean;
}

/** Who is signed in: asked for first on every page (index.html asks for it before the code arrives). */
export const ME_PATH = "/auth/me";

/** Who holds ``token``: the query AuthProvider reads, and main.tsx fills before the first render. */
export const meQuery = (token: string | null) =>
  queryOptions({ queryKey: ["me", token], queryFn: () => api.get<Me>(ME_PATH), staleTime: 60_000 });

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  const [token, setToken] = useState(session.token);
  const forget = useCallback(() => {
    session.token = null;
    setToken(null);
    client.clear();
  }, [client]);
  useEffect(() => whenUnauthorized(forget), [forget]);
  const me = useQuery({ ...meQuery(token), enabled: token !== null });
  const logIn = useCallback(async (username: string, password: string) => {
    const form = new URLSearchParams({ username, password });
    const answer = await request<{ access_token: string }>("/auth/token", { method: "POST", form });
    session.token = answer.access_token;
    setToken(answer.access_token);
  }, []);
  const logOut = useCallback(async () => {
    try {
      await api.delete("/auth/tokens/current");
    } finally {
      forget();
    }
  }, [forget]);
  const value = useMemo<AuthState>(
    () => ({ me: me.data, signedIn: token !== null, logIn, logOut, can: (role, team) => allows(me.data, role, team), canOn: (role, owner) => allowsOn(me.data, role, owner) }),
    [me.data, token, logIn, logOut],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const state = useContext(AuthContext);
  if (!state) throw new Error("useAuth outside AuthProvider");
  return state;
}
