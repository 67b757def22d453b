// Pages that show server state other people change refresh it as the platform's events say it changed. Kept
// apart from events.ts (which the first page needs) so that only the pages using it load it.
import { useEffect, useRef, useState } from "react";

import { type Connection, follow } from "./events";
import { shortType } from "./ui/eventType";

const COALESCE_MS = 1000; // a burst of events (a hundred alerts resolving at once) refreshes once

/** Runs ``refresh`` when an event whose short type (monitor.alert.fired) ``wanted`` accepts arrives, at most
 * once a second, and when the stream is back after a loss (events may have been missed): for pages that show
 * server state other people change. Only new events: what was before is what the page asked for. */
export function useRefreshOn(context: string, wanted: (type: string) => boolean, refresh: () => void): Connection {
  const [connection, setConnection] = useState<Connection>("connecting");
  const latest = useRef({ wanted, refresh });
  latest.current = { wanted, refresh };
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let lost = false;
    const soon = () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        latest.current.refresh();
      }, COALESCE_MS);
    };
    void follow(
      { context },
      (event) => {
        if (latest.current.wanted(shortType(event.type))) soon();
      },
      (state) => {
        if (state === "lost") lost = true;
        else if (state === "live" && lost) {
          lost = false;
          soon();
        }
        setConnection(state);
      },
      controller.signal,
    );
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [context]);
  return connection;
}
