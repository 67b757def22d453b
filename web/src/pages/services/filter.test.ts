import { describe, expect, it } from "vitest";

import type { ServiceSummary } from "./data";
import { choices, matcher, NO_FILTER } from "./filter";

const service = (name: string, extra: Partial<ServiceSummary> = {}): ServiceSummary => ({
  service: name,
  namespace: "dev",
  team: "dev",
  app: "gitea",
  version: "1.0.0",
  status: "running",
  ...extra,
});

const list = [
  service("git"),
  service("wiki", { app: "wordpress", team: "ops", namespace: "ops", status: "stopped" }),
  service("cache", { app: "redis", status: "failed" }),
];

describe("matcher", () => {
  it("keeps everything with no filter", () => {
    expect(list.filter(matcher(NO_FILTER))).toHaveLength(3);
  });

  it("matches every word of the text anywhere in name, namespace, app, version or team, ignoring case", () => {
    expect(list.filter(matcher({ ...NO_FILTER, text: "WORD ops" })).map((s) => s.service)).toEqual(["wiki"]);
    expect(list.filter(matcher({ ...NO_FILTER, text: "redis  " })).map((s) => s.service)).toEqual(["cache"]);
    expect(list.filter(matcher({ ...NO_FILTER, text: "nothing" }))).toEqual([]);
  });

  it("keeps to the team and the status chosen", () => {
    expect(list.filter(matcher({ ...NO_FILTER, team: "dev" })).map((s) => s.service)).toEqual(["git", "cache"]);
    expect(list.filter(matcher({ text: "", team: "dev", status: "failed" })).map((s) => s.service)).toEqual(["cache"]);
  });
});

describe("choices", () => {
  it("lists each team or status once, sorted, without empty ones", () => {
    expect(choices([...list, service("x", { team: null })], "team")).toEqual(["dev", "ops"]);
    expect(choices(list, "status")).toEqual(["failed", "running", "stopped"]);
  });
});
