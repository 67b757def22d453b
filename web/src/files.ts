// Files the gateway serves behind the bearer token (the audit export, a service's export): a plain link
// cannot send the token, so each is fetched, kept as a Blob and saved through an <a download> of its blob:
// URL (a download, not a fetch: the CSP's default-src 'self' does not stand in its way).
import { ApiError, OFFLINE, session } from "./api";

/** GET ``url`` with the session's token; an ApiError (the problem's title and detail) when refused. */
export async function fetchFile(url: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { Authorization: `Bearer ${session.token ?? ""}` } });
  } catch {
    throw new ApiError(OFFLINE, "offline", "");
  }
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new ApiError(response.status, problem.title ?? response.statusText, problem.detail ?? "", problem.errors ?? []);
  }
  return response;
}

/** Save ``blob`` as a download named ``filename``. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has its own copy once started; the URL is let go a little later, not at once, since
  // revoking it in the same task can cancel the download in some browsers.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
