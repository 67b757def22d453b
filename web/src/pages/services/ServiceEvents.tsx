import { useMemo } from "react";

import { type PlatformEvent, useEvents } from "../../events";
import { defineMessages, useFormat, useT } from "../../i18n";
import { shortType } from "../../ui/eventType";

const messages = defineMessages({
  en: {
    title: "Recent events",
    live: "Live",
    connecting: "Connecting to the event stream…",
    lost: "The event stream is lost; reconnecting…",
    none: "No event of this service among the platform's latest.",
  },
  "zh-CN": {
    title: "最近事件",
    live: "实时",
    connecting: "正在连接事件流…",
    lost: "事件流已断开，正在重新连接…",
    none: "平台最近的事件中没有该服务的事件。",
  },
});

const SHOWN = 15;

interface Body {
  type?: string;
  subject?: string;
  time?: string;
  actor?: string | null;
  data?: Record<string, unknown>;
}

function about(event: PlatformEvent, subject: string): boolean {
  return (event.data as Body).subject === subject;
}

function detailOf(body: Body): string {
  const data = body.data ?? {};
  const said = ["status", "reason", "step", "state", "version", "error"].flatMap((key) => (typeof data[key] === "string" || typeof data[key] === "number" ? [`${key}: ${data[key]}`] : []));
  return said.join(", ");
}

/** The service's latest events (deploy and backup), live from the platform's stream. */
export function ServiceEvents({ name, namespace }: { name: string; namespace: string }) {
  const t = useT(messages);
  const format = useFormat();
  const { events, connection } = useEvents({ last: 500 }, 500);
  const subject = `services/${namespace}/${name}`;
  const mine = useMemo(() => events.filter((e) => about(e, subject)).slice(0, SHOWN), [events, subject]);
  return (
    <section aria-labelledby="events-title">
      <h2 id="events-title">{t("title")}</h2>
      <p role="status" className={connection === "lost" ? "status-bad" : "hint"}>
        {connection === "live" ? t("live") : t(connection)}
      </p>
      {mine.length ? (
        <ol className="events">
          {mine.map((event) => {
            const body = event.data as Body;
            const detail = detailOf(body);
            return (
              <li key={event.id}>
                <time dateTime={body.time}>{format.date(body.time)}</time> <code title={body.type ?? event.type}>{shortType(body.type ?? event.type)}</code>
                {body.actor ? <span> · {body.actor}</span> : null}
                {detail ? <span> · {detail}</span> : null}
              </li>
            );
          })}
        </ol>
      ) : (
        <p>{t("none")}</p>
      )}
    </section>
  );
}
