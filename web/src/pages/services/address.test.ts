import { describe, expect, it } from "vitest";

import { addressOf } from "./address";

describe("addressOf", () => {
  it("is the Ingress host when the Ingress is on, https with its TLS", () => {
    expect(addressOf({ ingress: { enabled: true, host: "git.example.com" } })).toBe("http://git.example.com/");
    expect(addressOf({ ingress: { enabled: true, host: "git.example.com", tls: { enabled: true } } })).toBe("https://git.example.com/");
    expect(addressOf({ ingress: { enabled: true, hosts: [{ host: "a.example.com" }], tls: [{ secretName: "x" }] } })).toBe("https://a.example.com/");
  });

  it("is the public URL the app is given, else nothing", () => {
    expect(addressOf({ gitea: { rootUrl: "https://git.example.com/" } })).toBe("https://git.example.com/");
    expect(addressOf({ ingress: { enabled: false, host: "git.example.com" } })).toBeNull();
    expect(addressOf({ gitea: { rootUrl: "" }, jenkins: { url: "not a url" } })).toBeNull();
    expect(addressOf({})).toBeNull();
  });
});
