import { describe, expect, it } from "vitest";

import { cores, countByStatus, newest, percent, type ServiceSummary } from "./summary";

const service = (name: string, status: string, updated_at = "2026-01-01T00:00:00Z"): ServiceSummary => ({
  service: name,
  namespace: "default",
  app: "redis",
  status,
  updated_at,
});

describe("the dashboard's summary", () => {
  it("counts services by status, the usual ones first and always shown", () => {
    expect(countByStatus([])).toEqual([
      ["running", 0],
      ["degraded", 0],
      ["failed", 0],
    ]);
    const counted = countByStatus([service("a", "running"), service("b", "stopped"), service("c", "running"), service("d", "weird")]);
    expect(counted).toEqual([
      ["running", 2],
      ["degraded", 0],
      ["failed", 0],
      ["stopped", 1],
      ["weird", 1],
    ]);
  });

  it("lists the newest services first", () => {
    const list = [service("old", "running", "2026-01-01T00:00:00Z"), service("new", "running", "2026-02-01T00:00:00Z"), service("mid", "failed", "2026-01-15T00:00:00Z")];
    expect(newest(list, 2).map((s) => s.service)).toEqual(["new", "mid"]);
  });

  it("says how full a resource is, and nothing when its capacity is unknown", () => {
    expect(percent({ requested: 50, capacity: 12_000 })).toBe(0);
    expect(percent({ requested: 3_000, capacity: 12_000 })).toBe(25);
    expect(percent({ requested: 20, capacity: 10 })).toBe(100);
    expect(percent({ requested: 5, capacity: null })).toBeNull();
    expect(cores(1500, "en")).toBe("1.5");
    expect(cores(12_000, "en")).toBe("12");
  });
});
