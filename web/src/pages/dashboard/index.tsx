// The dashboard: one card per question, each with its own request, drawn as soon as its answer arrives
// (the slowest never holds up the others). Services by status and the installed apps share one request.
import { ActivityCard } from "./ActivityCard";
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
        <AppsCard />
        <ActivityCard />
      </div>
    </>
  );
}
