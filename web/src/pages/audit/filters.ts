// The audit search's filters, kept in the page's address (so a search can be reloaded, shared, or
// opened again with the back button), and turned into the query GET /api/v1/audit takes.

export const FILTER_NAMES = ["actor", "team", "context", "type", "service", "since", "until"] as const;
export type FilterName = (typeof FILTER_NAMES)[number];
export type Filters = Partial<Record<FilterName, string>>;

/** The filters set in the address (``since``/``until`` as the browser's local time, as the form shows them). */
export function filtersFrom(search: URLSearchParams): Filters {
  const found: Filters = {};
  for (const name of FILTER_NAMES) {
    const value = search.get(name)?.trim();
    if (value) found[name] = value;
  }
  return found;
}

/** The address's query for ``filters`` (empty ones left out). */
export function searchOf(filters: Filters): URLSearchParams {
  const search = new URLSearchParams();
  for (const name of FILTER_NAMES) {
    const value = filters[name]?.trim();
    if (value) search.set(name, value);
  }
  return search;
}

/** A local date-time from a datetime-local input ("2025-03-01T14:30") as RFC 3339 in UTC, which the
 * gateway takes; undefined when empty or not a date (the form's own check says so before). */
export function rfc3339(local: string | undefined): string | undefined {
  if (!local) return undefined;
  const moment = new Date(local);
  return Number.isNaN(moment.getTime()) ? undefined : moment.toISOString();
}

/** The gateway's query parameters for ``filters``: times in UTC, the rest as typed. */
export function apiParams(filters: Filters): Record<string, string | undefined> {
  return { ...filters, since: rfc3339(filters.since), until: rfc3339(filters.until) };
}
