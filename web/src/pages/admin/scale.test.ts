import { describe, expect, it } from "vitest";

import { checkReplicas } from "./scale";

describe("checkReplicas", () => {
  it("takes a whole number from 1 to 20 that differs from what is desired", () => {
    expect(checkReplicas("3", 1)).toEqual({ replicas: 3 });
    expect(checkReplicas(" 20 ", null)).toEqual({ replicas: 20 });
    expect(checkReplicas("1", undefined)).toEqual({ replicas: 1 });
  });

  it("refuses what the gateway would refuse, and a scale that changes nothing", () => {
    expect(checkReplicas("", 1)).toEqual({ problem: "whole" });
    expect(checkReplicas("2.5", 1)).toEqual({ problem: "whole" });
    expect(checkReplicas("-1", 1)).toEqual({ problem: "whole" });
    expect(checkReplicas("0", 1)).toEqual({ problem: "range" });
    expect(checkReplicas("21", 1)).toEqual({ problem: "range" });
    expect(checkReplicas("3", 3)).toEqual({ problem: "same" });
  });
});
