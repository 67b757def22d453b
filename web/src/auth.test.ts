import { describe, expect, it } from "vitest";

import { allows, allowsOn, type Me } from "./auth";

const viewer: Me = { user_id: "u1", username: "v", is_admin: false, teams: [{ team: "t1", name: "web", role: "viewer" }] };
const operator: Me = { ...viewer, teams: [{ team: "t1", name: "web", role: "operator" }] };

describe("what a user may do", () => {
  it("follows the role's rank within the team", () => {
    expect(allows(viewer, "viewer", "t1")).toBe(true);
    expect(allows(viewer, "operator", "t1")).toBe(false);
    expect(allows(operator, "operator", "web")).toBe(true);
    expect(allows(operator, "admin", "t1")).toBe(false);
  });

  it("gives nothing in another team, and everything to a platform admin", () => {
    expect(allows(operator, "viewer", "t2")).toBe(false);
    expect(allows({ ...viewer, is_admin: true, teams: [] }, "owner", "t9")).toBe(true);
    expect(allows(undefined, "viewer")).toBe(false);
  });

  it("keeps what belongs to no team (the platform's) to platform admins", () => {
    const owner: Me = { ...viewer, teams: [{ team: "t1", name: "web", role: "owner" }] };
    expect(allowsOn(owner, "admin", "t1")).toBe(true);
    expect(allowsOn(owner, "admin", null)).toBe(false);
    expect(allowsOn(owner, "viewer", undefined)).toBe(false);
    expect(allowsOn({ ...viewer, is_admin: true }, "admin", null)).toBe(true);
    expect(allowsOn(operator, "admin", "t1")).toBe(false);
  });
});
