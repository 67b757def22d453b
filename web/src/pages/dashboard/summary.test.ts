import { describe, expect, it } from "vitest";

import { cores, percent, statusCounts } from "./summary";

describe("the dashboard's summary", () => {
  it("orders the counts by status, the usual ones first and always shown", () => {
    expect(statusCounts({})).toEqual([
      ["running", 0],
      ["degraded", 0],
      ["failed", 0],
    ]);
    expect(statusCounts({ weird: 1, stopped: 1, running: 2 })).toEqual([
      ["running", 2],
      ["degraded", 0],
      ["failed", 0],
      ["stopped", 1],
      ["weird", 1],
    ]);
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
