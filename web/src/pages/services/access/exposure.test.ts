import { describe, expect, it } from "vitest";

import { bodyOf, type Exposure, formOf, withDomain, withoutDomain } from "./exposure";

const current: Exposure = {
  domains: [{ host: "git.example.com", primary: true, tls: "uploaded", certificate: "CERT" }],
  protection: {
    waf: { mode: "detect", paranoia: 2, exclusions: [942100] },
    access: { allow: ["10.0.0.0/8"], deny: [], basic_auth_users: ["ops"], sso: false },
  },
};

describe("the Access tab's form", () => {
  it("sends back what it was given, without keys or passwords it does not have", () => {
    expect(bodyOf(formOf(current))).toEqual({
      domains: [{ host: "git.example.com", primary: true, tls: "uploaded" }],
      protection: current.protection,
    });
  });

  it("sends a new user's password, lists and rule ids parsed", () => {
    const form = { ...formOf(current), allow: "10.0.0.0/8\n 192.168.1.0/24 ,", users: ["ops", "dev"], exclusions: "942100, 920350, x1" };
    form.passwords = { dev: "a-long-password", gone: "not sent" };
    const body = bodyOf(form) as { passwords: Record<string, string>; protection: { access: { allow: string[] }; waf: { exclusions: unknown[] } } };
    expect(body.passwords).toEqual({ dev: "a-long-password" });
    expect(body.protection.access.allow).toEqual(["10.0.0.0/8", "192.168.1.0/24"]);
    expect(body.protection.waf.exclusions).toEqual([942100, 920350, "x1"]);
  });

  it("sends a new certificate with its key only", () => {
    const form = withDomain(formOf(current), { host: "new.example.com", primary: false, tls: "uploaded", certificate: "NEW", key: "KEY" });
    const domains = (bodyOf(form) as { domains: unknown[] }).domains;
    expect(domains[1]).toEqual({ host: "new.example.com", primary: false, tls: "uploaded", certificate: "NEW", key: "KEY" });
  });

  it("adds a domain once, moves primary when asked, and removes it", () => {
    let form = withDomain(formOf(current), { host: " Code.Example.com ", primary: false, tls: "auto" });
    expect(form.domains.map((d) => [d.host, d.primary])).toEqual([["git.example.com", true], ["code.example.com", false]]);
    expect(withDomain(form, { host: "code.example.com", primary: false, tls: "none" })).toBe(form);
    form = withDomain(form, { host: "new.example.com", primary: true, tls: "none" });
    expect(form.domains.filter((d) => d.primary).map((d) => d.host)).toEqual(["new.example.com"]);
    expect(withoutDomain(form, "git.example.com").domains.map((d) => d.host)).toEqual(["code.example.com", "new.example.com"]);
  });
});
