// The newest events, live from the event stream (GET /api/v1/events?last=20), and whether it is connected.
import { useEvents, type PlatformEvent } from "../../events";
import { useFormat, useT } from "../../i18n";
import { messages } from "./messages";

const SHOWN = 20;
// What an event is about, in the order worth naming: the first of these its body has.
const SUBJECT_KEYS = ["service", "repository", "app", "username", "team_id", "namespace", "backup_id"];

function subjectOf(event: PlatformEvent): string {
  return SUBJECT_KEYS.map((key) => event.data[key])
    .filter((value): value is string => typeof value === "string" && value !== "")
    .slice(0, 2)
    .join(" · ");
}

export function ActivityCard() {
  const t = useT(messages);
  const format = useFormat();
  const { events, connection } = useEvents({ last: SHOWN }, SHOWN);
  return (
    <section className="card wide" aria-labelledby="activity-title" data-card="activity">
      <h2 id="activity-title">
        {t("activity")}{" "}
        <span role="status" className={`connection ${connection === "lost" ? "status-bad" : "hint"}`}>
          {t(connection === "live" ? "live" : connection)}
        </span>
      </h2>
      {events.length === 0 && connection === "live" && <p>{t("noActivity")}</p>}
      {/* Scrolls when long: focusable, so a keyboard can scroll it too. */}
      <ol className="activity" tabIndex={0} aria-labelledby="activity-title">
        {events.map((event) => {
          const time = typeof event.data.time === "string" ? event.data.time : null;
          return (
            <li key={event.id}>
              <code>{event.type}</code> <span>{subjectOf(event)}</span>
              {time && <time dateTime={time}> {format.date(time)}</time>}
            </li>
          );
        })}
      </ol>
    </section>
  );
}
