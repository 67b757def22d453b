import { describe, expect, it } from "vitest";

import { shortType } from "../../ui/eventType";
import { apiParams, filtersFrom, rfc3339, searchOf } from "./filters";

describe("audit filters", () => {
  it("round-trips through the address, leaving empty and unknown ones out", () => {
    const search = new URLSearchParams("actor=alice&team=&context=deploy&nonsense=1");
    expect(filtersFrom(search)).toEqual({ actor: "alice", context: "deploy" });
    expect(searchOf({ actor: "alice", team: " ", context: "deploy" }).toString()).toBe("actor=alice&context=deploy");
  });

  it("sends times as RFC 3339 in UTC, and nothing for an empty or broken one", () => {
    const local = "2025-03-01T14:30";
    expect(rfc3339(local)).toBe(new Date(local).toISOString());
    expect(rfc3339("")).toBeUndefined();
    expect(rfc3339("not a date")).toBeUndefined();
    expect(apiParams({ actor: "bob", since: local })).toEqual({ actor: "bob", since: new Date(local).toISOString(), until: undefined });
  });

  it("shortens CloudEvents types for the table", () => {
    expect(shortType("io.quickon.deploy.service.installed.v1")).toBe("deploy.service.installed");
    expect(shortType(undefined)).toBe("");
  });
});
