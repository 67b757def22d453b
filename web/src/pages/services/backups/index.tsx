// The service page's Backups tab (mounted at services/:name/backups): the service's backups, newest first,
// with back up now, verify, restore (in place or as a new service) and delete, and the schedule with its
// retention. Buttons follow the gateway's roles: operator to back up, verify and restore in place; admin to
// restore as a new service, delete and set the schedule.
import { useQueryClient } from "@tanstack/react-query";
import { useId } from "react";
import { useParams, useSearchParams } from "react-router";

import { api } from "../../../api";
import { useAuth } from "../../../auth";
import { useT } from "../../../i18n";
import type { Operation } from "../../../operations";
import { ErrorNote } from "../../../ui/ErrorNote";
import { OperationProgress } from "../../../ui/OperationProgress";
import { BackupList } from "./BackupList";
import { useCommand } from "./command";
import { backupsKey, type May, type ServiceRef, servicePath, useServiceTeam } from "./data";
import { messages } from "./messages";
import { SchedulePanel } from "./SchedulePanel";

export default function BackupsTab() {
  const t = useT(messages);
  const { name = "" } = useParams();
  const [search] = useSearchParams();
  const ref: ServiceRef = { name, namespace: search.get("namespace") ?? undefined };
  const { may, problem } = useMay(ref);
  const client = useQueryClient();
  const backUp = useCommand();
  const heading = useId();
  const refresh = () => void client.invalidateQueries({ queryKey: backupsKey(ref) });
  return (
    <section aria-labelledby={heading}>
      <h2 id={heading}>{t("title")}</h2>
      <ErrorNote error={problem} />
      {may("operator") && (
        <div className="actions">
          <button type="button" disabled={backUp.busy} onClick={() => backUp.run(() => api.post<Operation>(servicePath(ref, "/backups")))}>
            {t("backUpNow")}
          </button>
        </div>
      )}
      <ErrorNote error={backUp.error} />
      {backUp.operation && <OperationProgress id={backUp.operation} onEnded={refresh} />}
      <BackupList service={ref} may={may} />
      <SchedulePanel service={ref} may={may} />
    </section>
  );
}

/** Whether the user holds ``role`` in the service's team (nothing until the team is known; a service of no
 * team is for platform admins only). */
function useMay(ref: ServiceRef): { may: May; problem: unknown } {
  const { me, can } = useAuth();
  const team = useServiceTeam(ref);
  const may: May = (role) => {
    if (!team.isSuccess) return false;
    return team.data ? can(role, team.data) : Boolean(me?.is_admin);
  };
  return { may, problem: team.error };
}
