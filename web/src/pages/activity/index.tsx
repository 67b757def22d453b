// The activity area: the platform's event stream, live, newest first, filterable by context. The stream
// (events.ts) resumes after the last event it saw when the connection drops; the page says which it is.
import { useId, useRef } from "react";
import { useSearchParams } from "react-router";

import { useAuth } from "../../auth";
import { type Connection, useEvents } from "../../events";
import { useT } from "../../i18n";
import { ContextSelect } from "../../ui/ContextSelect";
import { EventItem } from "./EventItem";
import { messages } from "./messages";

const BACKLOG = 50; // the newest events shown at once, before the live ones
const KEEP = 300;

export default function ActivityPage() {
  const t = useT(messages);
  const id = useId();
  const { me } = useAuth();
  const [search, setSearch] = useSearchParams();
  const context = search.get("context") ?? "";
  const { events, connection } = useEvents({ context: context || undefined, last: BACKLOG }, KEEP);
  return (
    <>
      <h1>{t("title")}</h1>
      <p className="hint">{t("intro")}</p>
      <div className="actions">
        <label htmlFor={`${id}-context`} className="inline">
          {t("context")}
          <ContextSelect
            id={`${id}-context`}
            value={context}
            onChange={(chosen) => setSearch(chosen ? { context: chosen } : {})}
            withIam={Boolean(me?.is_admin)}
          />
        </label>
      </div>
      <ConnectionNote key={context} connection={connection} />
      <h2>{t("events")}</h2>
      {events.length === 0 ? (
        <p>{t("waiting")}</p>
      ) : (
        <ol className="events" aria-label={t("events")}>
          {events.map((event) => (
            <EventItem key={event.id} event={event} />
          ))}
        </ol>
      )}
    </>
  );
}

function ConnectionNote({ connection }: { connection: Connection }) {
  const t = useT(messages);
  // The stream says "connecting" on each attempt; once it has been live, an attempt is a reconnection.
  const wasLive = useRef(false);
  if (connection === "live") wasLive.current = true;
  const shown: Connection = connection === "connecting" && wasLive.current ? "lost" : connection;
  return (
    <p role="status" aria-live="polite" data-connection={shown} className={shown === "lost" ? "status-bad" : shown === "live" ? "status-ok" : "busy"}>
      {t(shown)}
    </p>
  );
}
