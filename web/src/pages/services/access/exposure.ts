// A service's exposure (GET/PUT /services/{name}/exposure) as the Access tab edits it. Pure: the form is
// filled from what the gateway answered, and the whole settings are sent back (PUT replaces them all).
// Keys and passwords are write-only: a domain sent without its certificate and key, or a user without a
// password, keeps the ones the platform holds.

export type TlsSource = "auto" | "uploaded" | "none";
export type WafMode = "off" | "detect" | "block";

export interface Domain {
  host: string;
  primary: boolean;
  tls: TlsSource;
  certificate?: string | null;
}

export interface Exposure {
  domains: Domain[];
  protection: {
    waf: { mode: WafMode; paranoia: number; exclusions: number[] };
    access: { allow: string[]; deny: string[]; basic_auth_users: string[]; sso: boolean };
  };
}

export interface ExposureView {
  exposure: Exposure;
  urls: string[];
  web?: string | null;
}

/** A domain as the form holds it: a new certificate and key only when the user uploads them. */
export interface DomainForm extends Domain {
  key?: string;
}

export interface AccessForm {
  domains: DomainForm[];
  allow: string;
  deny: string;
  users: string[];
  passwords: Record<string, string>;
  sso: boolean;
  waf: WafMode;
  paranoia: number;
  exclusions: string;
}

export function formOf(exposure: Exposure): AccessForm {
  const { access, waf } = exposure.protection;
  return {
    domains: exposure.domains.map((d) => ({ ...d })),
    allow: access.allow.join("\n"),
    deny: access.deny.join("\n"),
    users: [...access.basic_auth_users],
    passwords: {},
    sso: access.sso,
    waf: waf.mode,
    paranoia: waf.paranoia,
    exclusions: waf.exclusions.join(", "),
  };
}

/** Lines or commas, trimmed, empty ones dropped. */
function items(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The PUT body. Rule ids that are not whole numbers are sent as they are, so the gateway's 422 names them. */
export function bodyOf(form: AccessForm): Record<string, unknown> {
  const passwords = Object.fromEntries(Object.entries(form.passwords).filter(([user, p]) => p && form.users.includes(user)));
  return {
    domains: form.domains.map(({ host, primary, tls, certificate, key }) => ({
      host,
      primary,
      tls,
      // A new certificate goes with its key; without one, the platform keeps the pair it holds.
      ...(tls === "uploaded" && certificate && key ? { certificate, key } : {}),
    })),
    protection: {
      waf: {
        mode: form.waf,
        paranoia: form.paranoia,
        exclusions: items(form.exclusions).map((id) => (/^\d+$/.test(id) ? Number(id) : id)),
      },
      access: { allow: items(form.allow), deny: items(form.deny), basic_auth_users: form.users, sso: form.sso },
    },
    ...(Object.keys(passwords).length ? { passwords } : {}),
  };
}

/** Add a domain: the first one added becomes primary when none is; a host listed already is not added twice. */
export function withDomain(form: AccessForm, domain: DomainForm): AccessForm {
  const host = domain.host.trim().toLowerCase();
  if (!host || form.domains.some((d) => d.host === host)) return form;
  const primary = domain.primary || !form.domains.some((d) => d.primary);
  const others = primary ? form.domains.map((d) => ({ ...d, primary: false })) : form.domains;
  return { ...form, domains: [...others, { ...domain, host, primary }] };
}

export function withoutDomain(form: AccessForm, host: string): AccessForm {
  return { ...form, domains: form.domains.filter((d) => d.host !== host) };
}
