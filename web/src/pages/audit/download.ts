// The audit export as a file (GET /api/v1/audit/export, fetched with the token: see files.ts).
import { query } from "../../api";
import { fetchFile, saveBlob } from "../../files";

export type ExportFormat = "jsonl" | "csv";

export interface Exported {
  entries: number; // lines with an entry (CSV: without the header)
  stoppedEarly?: string; // the gateway's reason when the stream ended before the last entry
}

export async function exportAudit(params: Record<string, string | undefined>, format: ExportFormat): Promise<Exported> {
  const response = await fetchFile(`/api/v1/audit/export${query({ ...params, format })}`);
  const blob = await response.blob();
  const text = await blob.text();
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  const last = lines.at(-1) ?? "";
  const stoppedEarly = last.startsWith('{"export_error"') ? (JSON.parse(last).export_error as string) : undefined;
  saveBlob(blob, `audit-${new Date().toISOString().slice(0, 19).replace(/:/g, "")}.${format}`);
  return { entries: lines.length - (format === "csv" ? 1 : 0) - (stoppedEarly ? 1 : 0), stoppedEarly };
}
