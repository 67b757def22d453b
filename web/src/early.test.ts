import { describe, expect, it } from "vitest";

import page from "../index.html?raw";
import { ME_PATH } from "./auth";
import { DASHBOARD_PATHS } from "./pages/dashboard/queries";

// index.html's inline script asks for the dashboard's data before the code arrives; api.ts takes those
// answers by path, so a path that differs by one character would be asked for twice, and the early answer
// would be wasted.
describe("index.html's early requests", () => {
  it("are exactly what the dashboard and the signed-in user's details ask for", () => {
    const list = page.match(/\[("[^\]]*")\]\.forEach/);
    expect(list).not.toBeNull();
    const paths = JSON.parse(`[${list![1]}]`) as string[];
    expect(paths.sort()).toEqual([...DASHBOARD_PATHS, ME_PATH].sort());
  });
});
