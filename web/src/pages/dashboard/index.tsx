// The dashboard: one card per question, each with its own request, drawn as soon as its answer arrives
// (the slowest never holds up the others). Services by status and the installed apps share one request; the
// alerts are asked for once it has answered.
import { ActivityCard } from "./ActivityCard";
import { AlertsCard } from "./AlertsCard";
import { AppsCard, StatusCard } from "./ServicesCards";
import { ResourcesCard } from "./ResourcesCard";
import { messages } from "./messages";
import { useT } from "../../i18n";

export default function DashboardPage() {
  const t = useT(messages);
  return (
    <>
      <h1>{t("title")}</h1>
      <div className="dashboard">
        <ResourcesCard />
        <StatusCard />
        <AlertsCard />
        <AppsCard />
        <ActivityCard />
      </div>
    </>
  );
}
