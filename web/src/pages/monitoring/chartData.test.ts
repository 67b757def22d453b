import { describe, expect, it } from "vitest";

import { align, formatValue, latest, lineName, stepFor } from "./chartData";
import { seriesOf, unavailable } from "./metrics";
import { ApiError } from "../../api";

describe("series shaped for a chart", () => {
  it("puts every line on one time axis, with gaps where a line has no point", () => {
    const aligned = align(
      [
        { labels: { node: "b" }, points: [[20, 2], [30, "3.5"]] },
        { labels: { node: "a" }, points: [[10, 1], [30, "NaN"]] },
      ],
      "node",
    );
    expect(aligned.x).toEqual([10, 20, 30]);
    expect(aligned.lines).toEqual([
      { name: "a", values: [1, null, null] },
      { name: "b", values: [null, 2, 3.5] },
    ]);
    expect(align([], "node")).toEqual({ x: [], lines: [] });
  });

  it("names a line by the label that tells its scope's lines apart", () => {
    expect(lineName({ node: "n1", instance: "10.0.0.1:9100" }, "node")).toBe("n1");
    expect(lineName({ pod: "web-0", namespace: "a" }, "service")).toBe("web-0");
    expect(lineName({ job: "quickon-deployer" }, "component")).toBe("quickon-deployer");
    expect(lineName({ zone: "b", area: "x" }, "node")).toBe("area=x, zone=b");
    expect(lineName({}, "service")).toBe("value");
  });

  it("says the newest value, and picks a step of about 240 points, never under 15 s", () => {
    expect(latest([1, 2, null])).toBe(2);
    expect(latest([null])).toBeNull();
    expect(stepFor(900)).toBe(15);
    expect(stepFor(3600)).toBe(15);
    expect(stepFor(86_400)).toBe(360);
    expect(stepFor(604_800) % 15).toBe(0);
  });

  it("writes values in their unit", () => {
    expect(formatValue(1536, "bytes", "en")).toBe("1.5 KB");
    expect(formatValue(512, "bytes", "en")).toBe("512 B");
    expect(formatValue(0.425, "ratio", "en")).toBe("42.5 %");
    expect(formatValue(42.04, "percent", "en")).toBe("42 %");
    expect(formatValue(3, "", "en")).toBe("3");
    expect(formatValue(0.25, "cores", "en")).toBe("0.25 cores");
    expect(formatValue(null, "bytes", "en")).toBe("—");
  });
});

describe("the metrics API's answers", () => {
  it("places each series by what it is about, and drops what is no series", () => {
    const node = { name: "node_cpu", unit: "cores", scope: "platform", description: "CPU" };
    const lag = { name: "component_lag", unit: "events", scope: "platform", description: "lag" };
    const cpu = { name: "service_cpu", unit: "cores", scope: "service", description: "CPU" };
    expect(seriesOf({ series: [node, lag, cpu, { name: 3 }] }).map((s) => [s.name, s.scope])).toEqual([
      ["node_cpu", "node"],
      ["component_lag", "component"],
      ["service_cpu", "service"],
    ]);
    expect(seriesOf(null)).toEqual([]);
  });

  it("tells a missing metrics API and an unreachable Prometheus from other failures", () => {
    expect(unavailable(new ApiError(404, "Not Found", ""))).toBe("missing");
    expect(unavailable(new ApiError(503, "Unavailable", "Prometheus at http://127.0.0.1:9090 is unreachable"))).toBe("unreachable");
    expect(unavailable(new ApiError(403, "Forbidden", "no"))).toBeNull();
    expect(unavailable(new Error("x"))).toBeNull();
  });
});
