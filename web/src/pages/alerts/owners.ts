// Whose a new rule or channel may be: the platform (platform admins only) and the teams where the user holds
// the role it takes. The value "" stands for the platform in the forms' selects.
import { useAuth, type Role } from "../../auth";
import { defineMessages, useT } from "../../i18n";
import { useTeams } from "../../teams";

const messages = defineMessages({
  en: { platform: "The platform's (every team)", team: "Team {name}" },
  "zh-CN": { platform: "平台（所有团队）", team: "团队 {name}" },
});

export interface Owner {
  value: string; // a team's id; "" for the platform
  label: string;
}

export function useOwners(role: Role): { owners: Owner[]; isPending: boolean } {
  const t = useT(messages);
  const { me, can } = useAuth();
  const teams = useTeams();
  const owners = [
    ...(me?.is_admin ? [{ value: "", label: t("platform") }] : []),
    ...(teams.data?.teams ?? []).filter((team) => can(role, team.team)).map((team) => ({ value: team.team, label: t("team", { name: team.name }) })),
  ];
  return { owners, isPending: teams.isPending };
}
