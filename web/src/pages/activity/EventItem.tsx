import { useFormat, useT } from "../../i18n";
import type { PlatformEvent } from "../../events";
import { shortType } from "../../ui/eventType";
import { messages } from "./messages";

/** The body the gateway sends with each event (routes/events.py): the envelope and the redacted data. */
interface Envelope {
  type?: string;
  subject?: string;
  time?: string;
  actor?: string | null;
  team?: string | null;
  data?: unknown;
}

/** One event: its type, time, subject, who and which team; the body folds out. */
export function EventItem({ event }: { event: PlatformEvent }) {
  const t = useT(messages);
  const format = useFormat();
  const body = event.data as Envelope;
  return (
    <li className="event" data-id={event.id}>
      <details>
        <summary>
          <strong title={event.type}>{shortType(event.type)}</strong>{" "}
          <time dateTime={body.time}>{format.date(body.time)}</time>
          {body.subject && <span className="event-subject"> · {body.subject}</span>}
          {body.actor && <span> · {t("actor", { actor: body.actor })}</span>}
          {body.team && <span> · {t("team", { team: body.team })}</span>}
        </summary>
        <pre className="json">
          {JSON.stringify(body.data ?? body, null, 2)}
        </pre>
      </details>
    </li>
  );
}
