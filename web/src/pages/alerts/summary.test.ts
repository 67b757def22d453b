import { describe, expect, it } from "vitest";

import { countBySeverity, newest } from "./summary";

const alert = (severity: string, fired_at: string | null, active_at: string | null = null) => ({ severity, fired_at, active_at });

describe("alerts for people", () => {
  it("counts by severity, the worst first, the three known ones even at 0, others after by name", () => {
    expect(countBySeverity([])).toEqual([
      ["critical", 0],
      ["warning", 0],
      ["info", 0],
    ]);
    const alerts = [alert("warning", null), alert("page", null), alert("critical", null), alert("warning", null), alert("loud", null)];
    expect(countBySeverity(alerts)).toEqual([
      ["critical", 1],
      ["warning", 2],
      ["info", 0],
      ["loud", 1],
      ["page", 1],
    ]);
  });

  it("keeps the newest, by when they fired or else became active; the worst first at the same moment", () => {
    const a = alert("info", "2026-01-01T10:00:00Z");
    const b = alert("warning", null, "2026-01-01T11:00:00Z");
    const c = alert("info", "2026-01-01T12:00:00Z");
    const d = alert("critical", "2026-01-01T12:00:00Z");
    const undated = alert("critical", null);
    expect(newest([a, b, c, d, undated], 3)).toEqual([d, c, b]);
    expect(newest([undated, a], 5)).toEqual([a, undated]);
  });
});
