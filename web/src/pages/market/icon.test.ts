import { describe, expect, it } from "vitest";

import { initialOf, ownIcon } from "./icon";

describe("ownIcon", () => {
  const origin = "http://127.0.0.1:8080";
  it("keeps same-origin icons and refuses any other", () => {
    expect(ownIcon("/static/gitea.png", origin)).toBe("http://127.0.0.1:8080/static/gitea.png");
    expect(ownIcon("https://raw.githubusercontent.com/go-gitea/gitea/main/assets/logo.svg", origin)).toBeNull();
    expect(ownIcon("//evil.example/x.png", origin)).toBeNull();
    expect(ownIcon("javascript:alert(1)", origin)).toBeNull();
    expect(ownIcon(null, origin)).toBeNull();
  });
  it("gives a capital letter", () => {
    expect(initialOf("gitea")).toBe("G");
    expect(initialOf("")).toBe("?");
  });
});
