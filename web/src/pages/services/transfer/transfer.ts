// A service exported to one file and imported as a new one (issue 21). The export is a command on the service
// (POST /services/{name}/export → 202 with an operation of kind "export"); once it has succeeded, its file is
// fetched from GET /services/{name}/export?operation=<id> with the bearer token (a plain link cannot send it)
// and saved under the name its Content-Disposition gives. The import uploads the file as multipart/form-data
// (POST /imports → 202 with an operation of kind "import"), with the upload's progress shown as it goes.
// What is here is the dialogs' logic without React: what they check before sending, and what they send.
import { ApiError, OFFLINE, query, session } from "../../../api";
import type { Operation } from "../../../operations";
import { fetchFile, saveBlob } from "../../../files";

export type ExportFormat = "quickon" | "helm";

/** The gateway's bounds for a passphrase (POST …/export answers 422 outside them). */
export const PASSPHRASE_MIN = 8;
export const PASSPHRASE_MAX = 1024;

export interface ExportForm {
  format: ExportFormat;
  passphrase: string;
  confirmation: string;
}

/** What the user must fix before an export is sent, by field: a message key each (see messages.ts). */
export type ExportProblems = Partial<Record<"passphrase" | "confirmation", "passphraseMissing" | "passphraseShort" | "passphraseLong" | "mismatch">>;

export function exportProblems(form: ExportForm): ExportProblems {
  if (form.format !== "quickon") return {}; // a plain Helm chart carries no secret: nothing to encrypt
  const problems: ExportProblems = {};
  if (!form.passphrase) problems.passphrase = "passphraseMissing";
  else if (form.passphrase.length < PASSPHRASE_MIN) problems.passphrase = "passphraseShort";
  else if (form.passphrase.length > PASSPHRASE_MAX) problems.passphrase = "passphraseLong";
  if (form.passphrase && form.confirmation !== form.passphrase) problems.confirmation = "mismatch";
  return problems;
}

/** The JSON body of POST …/export: the passphrase only for a bundle, as typed (spaces are part of it). */
export function exportBody(form: ExportForm): { format: ExportFormat; passphrase?: string } {
  return form.format === "quickon" ? { format: form.format, passphrase: form.passphrase } : { format: form.format };
}

/** The API path of a service's export (POST), or of one export's file (GET, with its operation). */
export function exportPath(name: string, namespace?: string | null, operation?: string): string {
  return `/services/${encodeURIComponent(name)}/export${query({ namespace, operation })}`;
}

export interface ImportForm {
  file: File | null;
  name: string;
  team: string;
  passphrase: string;
  domains: boolean;
}

export type ImportProblems = Partial<Record<"bundle" | "name" | "passphrase", "fileMissing" | "fileType" | "nameMissing" | "nameInvalid" | "passphraseMissing">>;

/** A service's name as the platform takes it (quickon_common.names: a DNS label, at most Helm's 53). */
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const NAME_MAX = 53;

export function importProblems(form: ImportForm): ImportProblems {
  const problems: ImportProblems = {};
  if (!form.file) problems.bundle = "fileMissing";
  else if (!form.file.name.toLowerCase().endsWith(".qcb")) problems.bundle = "fileType";
  const name = form.name.trim();
  if (!name) problems.name = "nameMissing";
  else if (!NAME.test(name) || name.length > NAME_MAX) problems.name = "nameInvalid";
  if (!form.passphrase) problems.passphrase = "passphraseMissing";
  return problems;
}

/** The multipart body of POST /imports: the file, the new name, the team when one is chosen (else the
 * gateway's default), the passphrase and whether the bundle's custom domains come along. */
export function importBody(form: ImportForm): FormData {
  const body = new FormData();
  if (form.file) body.append("bundle", form.file, form.file.name);
  body.append("name", form.name.trim());
  if (form.team) body.append("team", form.team);
  body.append("passphrase", form.passphrase);
  body.append("domains", form.domains ? "true" : "false");
  return body;
}

/** The first field a refusal names, among those a dialog shows (``body.passphrase`` → "passphrase"). */
export function refusedField<F extends string>(error: unknown, fields: readonly F[]): F | undefined {
  if (!(error instanceof ApiError)) return undefined;
  for (const field of fields) if (error.fieldMessage(field)) return field;
  return undefined;
}

/** An ApiError from a failed answer's body (problem+json, or nothing readable). */
export function problemFrom(status: number, statusText: string, text: string): ApiError {
  try {
    const problem = JSON.parse(text) as Record<string, unknown>;
    return new ApiError(
      status,
      (problem.title as string | undefined) ?? statusText,
      (problem.detail as string | undefined) ?? "",
      (problem.errors as { field: string; message: string }[] | undefined) ?? [],
      problem,
    );
  } catch {
    return new ApiError(status, statusText, "");
  }
}

/** Upload an import (XMLHttpRequest: fetch reports no upload progress), ``progress`` told the fraction sent. */
export function uploadImport(body: FormData, progress: (fraction: number) => void, signal?: AbortSignal): Promise<Operation> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/imports");
    xhr.setRequestHeader("Accept", "application/json");
    const token = session.token;
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) progress(event.loaded / event.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText) as Operation);
        } catch {
          reject(new ApiError(xhr.status, xhr.statusText, ""));
        }
      } else reject(problemFrom(xhr.status, xhr.statusText, xhr.responseText));
    };
    xhr.onerror = () => reject(new ApiError(OFFLINE, "offline", ""));
    xhr.onabort = () => reject(new DOMException("aborted", "AbortError"));
    signal?.addEventListener("abort", () => xhr.abort());
    xhr.send(body);
  });
}

/** The file name a Content-Disposition gives (RFC 6266: ``filename*`` first), or ``fallback``. Only the
 * last path segment is kept: a name is never a path. */
export function filenameOf(disposition: string | null, fallback: string): string {
  if (!disposition) return fallback;
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(disposition);
  let name: string | undefined;
  if (extended) {
    try {
      name = decodeURIComponent(extended[1].trim());
    } catch {
      name = undefined;
    }
  }
  if (!name) name = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/.exec(disposition)?.[1]?.replace(/\\(.)/g, "$1");
  if (!name) name = /filename\s*=\s*([^;\s]+)/.exec(disposition)?.[1];
  const base = name?.split(/[/\\]/).pop()?.trim();
  return base || fallback;
}

/** What to save an export as when the gateway names nothing: a bundle or a chart archive. */
export function fallbackFilename(service: string, format: ExportFormat): string {
  return format === "helm" ? `${service}-chart.tgz` : `${service}.qcb`;
}

/** Fetch an export's file and save it (a blob: URL through an <a download>, as the audit export does). */
export async function downloadExport(path: string, fallback: string): Promise<{ filename: string; bytes: number }> {
  const response = await fetchFile(`/api/v1${path}`);
  const blob = await response.blob();
  const filename = filenameOf(response.headers.get("content-disposition"), fallback);
  saveBlob(blob, filename);
  return { filename, bytes: blob.size };
}
