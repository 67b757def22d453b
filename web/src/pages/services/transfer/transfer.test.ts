import { describe, expect, it } from "vitest";

import { ApiError } from "../../../api";
import {
  exportBody,
  exportPath,
  exportProblems,
  fallbackFilename,
  filenameOf,
  importBody,
  type ImportForm,
  importProblems,
  problemFrom,
  refusedField,
} from "./transfer";

describe("the export dialog's checks", () => {
  it("wants a passphrase of 8 characters or more, typed the same twice, for a bundle", () => {
    expect(exportProblems({ format: "quickon", passphrase: "", confirmation: "" })).toEqual({ passphrase: "passphraseMissing" });
    expect(exportProblems({ format: "quickon", passphrase: "short", confirmation: "short" })).toEqual({ passphrase: "passphraseShort" });
    expect(exportProblems({ format: "quickon", passphrase: "x".repeat(1025), confirmation: "x".repeat(1025) })).toEqual({ passphrase: "passphraseLong" });
    expect(exportProblems({ format: "quickon", passphrase: "correct horse", confirmation: "correct hors" })).toEqual({ confirmation: "mismatch" });
    expect(exportProblems({ format: "quickon", passphrase: "correct horse", confirmation: "correct horse" })).toEqual({});
  });

  it("asks nothing for a plain Helm chart, and sends no passphrase with it", () => {
    expect(exportProblems({ format: "helm", passphrase: "", confirmation: "other" })).toEqual({});
    expect(exportBody({ format: "helm", passphrase: "typed before", confirmation: "typed before" })).toEqual({ format: "helm" });
  });

  it("sends the passphrase as typed, spaces included", () => {
    expect(exportBody({ format: "quickon", passphrase: " padded pass ", confirmation: " padded pass " })).toEqual({ format: "quickon", passphrase: " padded pass " });
  });

  it("names the service, its namespace and the operation whose file is fetched", () => {
    expect(exportPath("my app", "team-a")).toBe("/services/my%20app/export?namespace=team-a");
    expect(exportPath("web", null, "op-1")).toBe("/services/web/export?operation=op-1");
    expect(exportPath("web", "default", "op-1")).toBe("/services/web/export?namespace=default&operation=op-1");
  });
});

describe("the export's file name", () => {
  it("is the one Content-Disposition gives, the extended form first", () => {
    expect(filenameOf('attachment; filename="gitea-1.0.0.qcb"', "x.qcb")).toBe("gitea-1.0.0.qcb");
    expect(filenameOf("attachment; filename=gitea.qcb", "x.qcb")).toBe("gitea.qcb");
    expect(filenameOf("attachment; filename=\"plain.qcb\"; filename*=UTF-8''%E6%9C%8D%E5%8A%A1.qcb", "x.qcb")).toBe("服务.qcb");
  });

  it("is never a path, and falls back when none is given", () => {
    expect(filenameOf('attachment; filename="../../etc/passwd"', "x.qcb")).toBe("passwd");
    expect(filenameOf("attachment", "x.qcb")).toBe("x.qcb");
    expect(filenameOf(null, fallbackFilename("web", "quickon"))).toBe("web.qcb");
    expect(fallbackFilename("web", "helm")).toBe("web-chart.tgz");
  });
});

const bundle = () => new File([new Uint8Array([1, 2, 3])], "gitea-1.0.0.qcb", { type: "application/octet-stream" });
const filled = (change: Partial<ImportForm> = {}): ImportForm => ({ file: bundle(), name: "copy", team: "", passphrase: "correct horse", domains: true, ...change });

describe("the import dialog's checks", () => {
  it("wants a .qcb file, a valid new name and a passphrase", () => {
    expect(importProblems({ file: null, name: " ", team: "", passphrase: "", domains: true })).toEqual({
      bundle: "fileMissing",
      name: "nameMissing",
      passphrase: "passphraseMissing",
    });
    expect(importProblems(filled({ file: new File(["x"], "notes.txt") }))).toEqual({ bundle: "fileType" });
    expect(importProblems(filled({ file: new File(["x"], "BACKUP.QCB") }))).toEqual({});
    expect(importProblems(filled())).toEqual({});
  });

  it("takes a name the platform takes: a DNS label of at most 53", () => {
    for (const bad of ["Copy", "copy_1", "-copy", "copy-", "a.b", "x".repeat(54)]) expect(importProblems(filled({ name: bad }))).toEqual({ name: "nameInvalid" });
    for (const good of ["copy", "1copy", "gitea-copy-2", " copy ", "x".repeat(53)]) expect(importProblems(filled({ name: good }))).toEqual({});
  });
});

describe("the import's multipart body", () => {
  it("carries the file, the trimmed name, the team, the passphrase and the domains choice", async () => {
    const body = importBody(filled({ name: " copy ", team: "team-b", domains: false }));
    expect([...body.keys()]).toEqual(["bundle", "name", "team", "passphrase", "domains"]);
    const file = body.get("bundle") as File;
    expect(file.name).toBe("gitea-1.0.0.qcb");
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
    expect(body.get("name")).toBe("copy");
    expect(body.get("team")).toBe("team-b");
    expect(body.get("passphrase")).toBe("correct horse");
    expect(body.get("domains")).toBe("false");
  });

  it("leaves the team to the gateway when none is chosen, and keeps domains by default", () => {
    const body = importBody(filled());
    expect(body.has("team")).toBe(false);
    expect(body.get("domains")).toBe("true");
  });
});

describe("a refusal", () => {
  it("is read from problem+json and names its field", () => {
    const error = problemFrom(422, "Unprocessable Entity", JSON.stringify({ title: "Invalid", detail: "bad", errors: [{ field: "body.passphrase", message: "too short" }] }));
    expect(error.status).toBe(422);
    expect(error.fieldMessage("passphrase")).toBe("too short");
    expect(refusedField(error, ["bundle", "name", "passphrase"] as const)).toBe("passphrase");
    expect(refusedField(new Error("x"), ["name"] as const)).toBeUndefined();
  });

  it("without a readable body still carries its status", () => {
    const error = problemFrom(413, "Payload Too Large", "<html>nginx</html>");
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(413);
    expect(error.detail).toBe("");
  });
});

describe("the dialogs' messages", () => {
  it("say the same things in both languages, with the same placeholders", async () => {
    const { messages } = await import("./messages");
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    expect(Object.keys(messages["zh-CN"]).sort()).toEqual(Object.keys(messages.en).sort());
    for (const [key, text] of Object.entries(messages.en)) expect([key, placeholders(messages["zh-CN"][key as keyof typeof messages.en])]).toEqual([key, placeholders(text)]);
  });
});
