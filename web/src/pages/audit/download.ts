// The audit export as a file: GET /api/v1/audit/export needs the bearer token, which a plain link cannot
// send, so it is fetched, kept as a Blob and saved through an <a download> of its blob: URL (a download,
// not a fetch: the CSP's default-src 'self' does not stand in its way).
import { ApiError, OFFLINE, query, session } from "../../api";

export type ExportFormat = "jsonl" | "csv";

export interface Exported {
  entries: number; // lines with an entry (CSV: without the header)
  stoppedEarly?: string; // the gateway's reason when the stream ended before the last entry
}

export async function exportAudit(params: Record<string, string | undefined>, format: ExportFormat): Promise<Exported> {
  let response: Response;
  try {
    response = await fetch(`/api/v1/audit/export${query({ ...params, format })}`, {
      headers: { Authorization: `Bearer ${session.token ?? ""}` },
    });
  } catch {
    throw new ApiError(OFFLINE, "offline", "");
  }
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new ApiError(response.status, problem.title ?? response.statusText, problem.detail ?? "", problem.errors ?? []);
  }
  const blob = await response.blob();
  const text = await blob.text();
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  const last = lines.at(-1) ?? "";
  const stoppedEarly = last.startsWith('{"export_error"') ? (JSON.parse(last).export_error as string) : undefined;
  save(blob, `audit-${new Date().toISOString().slice(0, 19).replace(/:/g, "")}.${format}`);
  return { entries: lines.length - (format === "csv" ? 1 : 0) - (stoppedEarly ? 1 : 0), stoppedEarly };
}

function save(blob: Blob, filename: string): void {
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
