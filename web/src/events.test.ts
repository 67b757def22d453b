import { describe, expect, it } from "vitest";

import { parse } from "./events";

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

describe("the event stream", () => {
  it("yields each event once whole, across chunk boundaries, skipping comments", async () => {
    const body = streamOf(": QuickOn events\nretry: 3000\n\n", 'id: 7\nevent: AppInstalled\ndata: {"serv', 'ice":"gitea"}\n\nid: 8\r\nevent: AppInstallStarted\r\ndata: {}\r\n\r\n');
    const seen = [];
    for await (const event of parse(body)) seen.push(event);
    expect(seen).toEqual([
      { id: 7, type: "AppInstalled", data: { service: "gitea" } },
      { id: 8, type: "AppInstallStarted", data: {} },
    ]);
  });
});
