// The teams the signed-in user may see (GET /api/v1/teams: their own, every team for a platform admin), shared
// by every page that offers a team to choose or shows a team's name where the API answers its id.
import { useQuery } from "@tanstack/react-query";
import { useCallback } from "react";

import { api } from "./api";
import { useAuth } from "./auth";

export interface Team {
  team: string; // the id, what rules, alerts, channels and services name
  name: string;
  namespaces: string[];
  role?: string | null;
}

export function useTeams() {
  return useQuery({ queryKey: ["teams"], queryFn: ({ signal }) => api.get<{ teams: Team[] }>("/teams", signal), staleTime: 60_000 });
}

/** A team's name from its id (the user's memberships first, then the teams list), the id when unknown. */
export function useTeamName(): (id: string) => string {
  const { me } = useAuth();
  const teams = useTeams();
  return useCallback(
    (id: string) => me?.teams.find((m) => m.team === id)?.name ?? teams.data?.teams.find((t) => t.team === id)?.name ?? id,
    [me, teams.data],
  );
}
