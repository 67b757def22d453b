// The platform's live events (GET /api/v1/events, server-sent events). EventSource cannot send the bearer
// token, so the stream is read with fetch; it resumes after the last id it saw when the connection drops,
// and says whether it is connected, so a page can show that a lost connection is being recovered.
import { useEffect, useRef, useState } from "react";

import { query, session } from "./api";

export interface PlatformEvent {
  id: number;
  type: string;
  data: Record<string, unknown>;
}

export type Connection = "connecting" | "live" | "lost";

export interface StreamOptions {
  context?: string; // deploy, backup, market…: only that context's events
  last?: number; // start with the newest N events
}

/** Follows the events until ``signal`` aborts, calling ``onEvent`` for each and ``onState`` on changes. */
export async function follow(
  options: StreamOptions,
  onEvent: (event: PlatformEvent) => void,
  onState: (state: Connection) => void,
  signal: AbortSignal,
): Promise<void> {
  let after: number | undefined;
  let wait = 500;
  while (!signal.aborted) {
    onState("connecting");
    try {
      const params = after === undefined ? { context: options.context, last: options.last } : { context: options.context, after };
      const response = await fetch(`/api/v1/events${query(params)}`, {
        headers: { Accept: "text/event-stream", Authorization: `Bearer ${session.token ?? ""}` },
        signal,
      });
      if (!response.ok || !response.body) throw new Error(`events answered ${response.status}`);
      onState("live");
      wait = 500;
      for await (const event of parse(response.body, signal)) {
        after = event.id;
        onEvent(event);
      }
    } catch (error) {
      if (signal.aborted) return;
      void error;
    }
    onState("lost");
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(wait * 2, 10_000);
  }
}

/** Server-sent events from a byte stream: `id:`, `event:`, `data:` lines, a blank line ends each. */
export async function* parse(body: ReadableStream<Uint8Array>, signal?: AbortSignal): AsyncGenerator<PlatformEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let id = "";
  let type = "message";
  let data: string[] = [];
  try {
    while (!signal?.aborted) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, end).replace(/\r$/, "");
        buffer = buffer.slice(end + 1);
        if (line === "") {
          if (data.length && id) yield { id: Number(id), type, data: JSON.parse(data.join("\n")) };
          id = "";
          type = "message";
          data = [];
        } else if (line.startsWith("id:")) id = line.slice(3).trim();
        else if (line.startsWith("event:")) type = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/** The newest ``keep`` events while the component lives, and the connection's state. */
export function useEvents(options: StreamOptions, keep = 200): { events: PlatformEvent[]; connection: Connection } {
  const [events, setEvents] = useState<PlatformEvent[]>([]);
  const [connection, setConnection] = useState<Connection>("connecting");
  const seen = useRef(new Set<number>());
  useEffect(() => {
    const controller = new AbortController();
    seen.current = new Set();
    setEvents([]);
    void follow(
      options,
      (event) => {
        if (seen.current.has(event.id)) return;
        seen.current.add(event.id);
        setEvents((previous) => [event, ...previous].slice(0, keep));
      },
      setConnection,
      controller.signal,
    );
    return () => controller.abort();
  }, [options.context, options.last, keep]);
  return { events, connection };
}
