import { describe, expect, it } from "vitest";

import { matchersOf, silenceBody } from "./silences";

describe("a silence from an alert", () => {
  it("offers the alert's labels as equality matchers, the telling ones first", () => {
    const matchers = matchersOf({ zone: "a", severity: "critical", namespace: "web", alertname: "HighLatency" });
    expect(matchers.map((m) => m.name)).toEqual(["alertname", "namespace", "severity", "zone"]);
    expect(matchers[0]).toEqual({ name: "alertname", value: "HighLatency", is_regex: false, is_equal: true });
  });

  it("ends the duration after now, for the alert's team", () => {
    const now = new Date("2026-03-01T10:00:00Z");
    const body = silenceBody({ matchers: matchersOf({ alertname: "X" }), duration: "2h", comment: "  deploying ", team: "web" }, now);
    expect(body).toEqual({
      matchers: [{ name: "alertname", value: "X", is_regex: false, is_equal: true }],
      ends_at: "2026-03-01T12:00:00.000Z",
      comment: "deploying",
      team: "web",
    });
  });

  it("says what is wrong instead of asking the gateway", () => {
    const now = new Date();
    const base = { matchers: matchersOf({ alertname: "X" }), duration: "1h", comment: "", team: null };
    expect(silenceBody({ ...base, matchers: [] }, now)).toBe("noMatcher");
    expect(silenceBody({ ...base, matchers: [{ name: "bad-name", value: "x", is_regex: false, is_equal: true }] }, now)).toBe("badMatcher");
    expect(silenceBody({ ...base, duration: "soon" }, now)).toBe("badDuration");
    expect(silenceBody({ ...base, duration: "0" }, now)).toBe("badDuration");
    expect(silenceBody({ ...base, duration: "400d" }, now)).toBe("badDuration");
  });
});
