import { describe, expect, it } from "vitest";

import { formatDuration, parseDuration } from "./duration";

describe("durations", () => {
  it("reads what people type", () => {
    expect(parseDuration("90s")).toBe(90);
    expect(parseDuration("5m")).toBe(300);
    expect(parseDuration(" 1h30m ")).toBe(5400);
    expect(parseDuration("2d")).toBe(172_800);
    expect(parseDuration("1w")).toBe(604_800);
    expect(parseDuration("300")).toBe(300);
    expect(parseDuration("0")).toBe(0);
  });

  it("refuses what is no duration", () => {
    for (const text of ["", "5 minutes", "m5", "-5m", "1.5h", "1y", "5mm"]) expect(parseDuration(text)).toBeNull();
  });

  it("writes the largest units first and reads back what it wrote", () => {
    expect(formatDuration(0)).toBe("0s");
    expect(formatDuration(300)).toBe("5m");
    expect(formatDuration(5400)).toBe("1h30m");
    expect(formatDuration(90_061)).toBe("1d1h1m1s");
    for (const seconds of [1, 59, 3600, 86_399, 604_800]) expect(parseDuration(formatDuration(seconds))).toBe(seconds);
  });
});
