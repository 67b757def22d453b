import { describe, expect, it } from "vitest";

import { bodyOf, formOf } from "./schedule";

describe("the schedule form", () => {
  it("starts a new schedule at 03:00 daily in the given zone, keeping all", () => {
    expect(formOf(null, "Asia/Shanghai")).toEqual({ cron: "0 3 * * *", timezone: "Asia/Shanghai", keepLast: "" });
  });

  it("shows the current schedule", () => {
    const schedule = { service: "git", namespace: "default", cron: "30 2 * * 1", timezone: "UTC", keep_last: 7 };
    expect(formOf(schedule)).toEqual({ cron: "30 2 * * 1", timezone: "UTC", keepLast: "7" });
  });

  it("sends keep N as a number, empty as null, and tidies the cron's spaces", () => {
    expect(bodyOf({ cron: " 0  3 * * * ", timezone: "", keepLast: "5" })).toEqual({
      cron: "0 3 * * *",
      timezone: "UTC",
      keep_last: 5,
      drill: false,
    });
    expect(bodyOf({ cron: "0 3 * * *", timezone: "UTC", keepLast: " " }).keep_last).toBeNull();
  });

  it("leaves what is not a whole number for the gateway to name at the field", () => {
    expect(bodyOf({ cron: "0 3 * * *", timezone: "UTC", keepLast: "2.5" }).keep_last).toBe("2.5");
  });
});
