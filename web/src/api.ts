// The one way the console talks to the gateway: JSON over fetch with the session's bearer token. Every
// failure becomes an ApiError carrying the problem document's `detail` (RFC 9457), which says what to do
// next and is what the console shows where the user acted.

const TOKEN_KEY = "quickon.token";

/** The session's token: kept for the tab (sessionStorage), so closing the browser ends the session. */
export const session = {
  get token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set token(value: string | null) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
};

export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldError[] = [],
    /** The whole problem document: some refusals carry more than `detail` (a chart's lint `messages`). */
    readonly problem: Record<string, unknown> = {},
  ) {
    super(detail || title);
  }

  /** The message for one form field (`body.values.replicas` → "replicas"), if the gateway named it. */
  fieldMessage(field: string): string | undefined {
    return this.errors.find((e) => e.field === field || e.field.endsWith(`.${field}`))?.message;
  }
}

/** Network failures (the gateway unreachable) get a status of 0, so the shell can say the connection is lost. */
export const OFFLINE = 0;

let onUnauthorized: () => void = () => {};
/** What happens when the token stops working (expired, revoked): the auth provider signs the user out. */
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  form?: URLSearchParams | FormData;
  signal?: AbortSignal;
}

declare global {
  interface Window {
    /** Answers index.html's inline script asked for before this code arrived, by path (each taken once). */
    quickonEarly?: Record<string, Promise<Response>>;
  }
}

/** The answer index.html already asked for, for a plain GET of ``path`` with the same token, once. */
function earlyAnswer(path: string, options: RequestOptions): Promise<Response> | undefined {
  const early = window.quickonEarly;
  if (!early || (options.method ?? "GET") !== "GET" || !(path in early)) return undefined;
  const answer = early[path];
  delete early[path]; // a refetch is a new question
  return answer;
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const token = session.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: BodyInit | undefined;
  if (options.form) body = options.form;
  else if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await (earlyAnswer(path, options) ??
      fetch(`/api/v1${path}`, { method: options.method ?? "GET", headers, body, signal: options.signal }));
  } catch (error) {
    if ((error as Error).name === "AbortError") throw error;
    throw new ApiError(OFFLINE, "offline", "");
  }
  if (response.status === 401 && token) onUnauthorized();
  if (!response.ok) throw await problemOf(response);
  if (response.status === 204) return undefined as T;
  const type = response.headers.get("content-type") ?? "";
  return (type.includes("json") ? await response.json() : await response.text()) as T;
}

async function problemOf(response: Response): Promise<ApiError> {
  try {
    const problem = await response.json();
    return new ApiError(response.status, problem.title ?? response.statusText, problem.detail ?? "", problem.errors ?? [], problem);
  } catch {
    return new ApiError(response.status, response.statusText, "");
  }
}

export const api = {
  get: <T>(path: string, signal?: AbortSignal) => request<T>(path, { signal }),
  post: <T>(path: string, body?: unknown) => request<T>(path, { method: "POST", body }),
  put: <T>(path: string, body?: unknown) => request<T>(path, { method: "PUT", body }),
  patch: <T>(path: string, body?: unknown) => request<T>(path, { method: "PATCH", body }),
  delete: <T>(path: string) => request<T>(path, { method: "DELETE" }),
};

/** A query string from the values that are set. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : "";
}
