import { describe, expect, it } from "vitest";

import { visibleRows } from "./windowing";

describe("visibleRows", () => {
  it("renders the rows in view and a few either side", () => {
    expect(visibleRows({ scrollTop: 0, viewport: 400, rowHeight: 40, count: 1000, overscan: 5 })).toEqual({ first: 0, last: 15 });
    expect(visibleRows({ scrollTop: 4000, viewport: 400, rowHeight: 40, count: 1000, overscan: 5 })).toEqual({ first: 95, last: 115 });
  });

  it("stays within the list, also when it shrank under a scrolled view", () => {
    expect(visibleRows({ scrollTop: 39_800, viewport: 400, rowHeight: 40, count: 1000, overscan: 5 })).toEqual({ first: 990, last: 1000 });
    expect(visibleRows({ scrollTop: 4000, viewport: 400, rowHeight: 40, count: 3 })).toEqual({ first: 95, last: 95 });
    expect(visibleRows({ scrollTop: 0, viewport: 400, rowHeight: 40, count: 0 })).toEqual({ first: 0, last: 0 });
  });
});
