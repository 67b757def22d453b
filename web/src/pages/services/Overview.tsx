import { useState } from "react";
import { useNavigate } from "react-router";

import { useAuth, type Role } from "../../auth";
import type { Operation } from "../../operations";
import { OperationProgress } from "../../ui/OperationProgress";
import { Actions } from "./Actions";
import { type Started, useRefresh } from "./data";
import { Health } from "./Health";
import { Reach } from "./Reach";
import { Revisions } from "./Revisions";
import { ServiceEvents } from "./ServiceEvents";
import { useServiceContext } from "./ServicePage";

/** The service's overview tab: what it can do (for those allowed), how it is, where it is, what happened. */
export function Overview() {
  const { service, namespace } = useServiceContext();
  const { me, can } = useAuth();
  const navigate = useNavigate();
  const refresh = useRefresh(service.service, namespace);
  const [operation, setOperation] = useState<Started | null>(null);
  const [ended, setEnded] = useState(false);
  // A service of no team is a platform admin's alone (can() with no team would ask "in any team").
  const may = (role: Role) => (service.team ? can(role, service.team) : Boolean(me?.is_admin));
  const started = (op: Started) => {
    setEnded(false);
    setOperation(op);
  };
  const onEnded = (op: Operation) => {
    setEnded(true);
    refresh();
    // Gone: back to the list, which says so (this page would only answer 404 now).
    if (op.kind === "uninstall" && op.state === "succeeded") navigate("/services", { state: { uninstalled: service.service } });
  };
  return (
    <>
      <Actions service={service} may={may} started={started} busy={operation !== null && !ended} />
      {operation ? <OperationProgress key={operation.operation_id} id={operation.operation_id} onEnded={onEnded} /> : null}
      <Health health={service.health} />
      <Reach service={service} />
      <Revisions service={service} mayRollBack={may("operator")} started={started} busy={operation !== null && !ended} />
      <ServiceEvents name={service.service} namespace={namespace} />
    </>
  );
}
