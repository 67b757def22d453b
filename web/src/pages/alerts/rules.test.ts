import { describe, expect, it } from "vitest";

import { defaultParams, editedSpec, ruleBody, type RuleForm, templatesFor } from "./rules";
import type { Rule } from "./types";

const form: RuleForm = {
  name: "Restarts of web",
  team: "web",
  mode: "template",
  template: "restarts",
  params: { count: "5", window_s: "600" },
  expr: "",
  forText: "5m",
  severity: "critical",
  summary: " {{ $labels.pod }} restarts ",
};

describe("a rule from the form", () => {
  it("is a template with numeric parameters, for in seconds, for its team", () => {
    expect(ruleBody(form)).toEqual({
      name: "Restarts of web",
      template: "restarts",
      params: { count: 5, window_s: 600 },
      for_s: 300,
      severity: "critical",
      summary: "{{ $labels.pod }} restarts",
      enabled: true,
      team: "web",
    });
  });

  it("keeps a text parameter as text, and takes defaults for those not given", () => {
    const body = ruleBody({ ...form, template: "uninstall_off_hours", params: { timezone: "Asia/Shanghai" } });
    expect(body).toMatchObject({ params: { start_hour: 8, end_hour: 19, timezone: "Asia/Shanghai" } });
    expect(defaultParams("component_down")).toEqual({ job_pattern: "quickon-.+" });
  });

  it("is raw PromQL with no parameters", () => {
    expect(ruleBody({ ...form, mode: "expr", expr: " up == 0 ", team: null })).toEqual({
      name: "Restarts of web",
      expr: "up == 0",
      for_s: 300,
      severity: "critical",
      summary: "{{ $labels.pod }} restarts",
      enabled: true,
      team: null,
    });
  });

  it("names the field that is wrong", () => {
    expect(ruleBody({ ...form, name: " " })).toMatchObject({ field: "name", key: "nameMissing" });
    expect(ruleBody({ ...form, name: "-x" })).toMatchObject({ field: "name" });
    expect(ruleBody({ ...form, forText: "soon" })).toMatchObject({ field: "for", key: "badDuration" });
    expect(ruleBody({ ...form, forText: "8d" })).toMatchObject({ field: "for", key: "badDuration" });
    expect(ruleBody({ ...form, params: { count: "many" } })).toMatchObject({ field: "params.count", key: "notNumber" });
    expect(ruleBody({ ...form, params: { count: "0" } })).toMatchObject({ field: "params.count", key: "outOfRange", vars: { minimum: 1, maximum: 10000 } });
    expect(ruleBody({ ...form, mode: "expr", expr: "" })).toMatchObject({ field: "expr", key: "exprMissing" });
  });

  it("offers a team only the templates that can fire for a team", () => {
    expect(templatesFor(null)).toContain("node_disk");
    expect(templatesFor("web")).not.toContain("node_disk");
    expect(templatesFor("web")).not.toContain("dead_letter");
    expect(templatesFor("web")).toContain("restarts");
  });
});

describe("a saved rule changed in place", () => {
  const rule: Rule = {
    rule_id: "r1",
    name: "Disk",
    team: null,
    kind: "prometheus",
    template: "node_disk",
    params: { percent: 80 },
    expr: null,
    query: "100 * …",
    for_s: 60,
    keep_firing_for_s: 30,
    severity: "warning",
    labels: { page: "ops" },
    summary: "disk",
    enabled: true,
    builtin: true,
  };

  it("keeps everything but the edits (and never sends what only the monitor adds)", () => {
    expect(editedSpec(rule, { enabled: false, severity: "critical" })).toEqual({
      name: "Disk",
      template: "node_disk",
      params: { percent: 80 },
      for_s: 60,
      keep_firing_for_s: 30,
      severity: "critical",
      labels: { page: "ops" },
      summary: "disk",
      enabled: false,
    });
  });

  it("sends a raw rule's expression and no parameters", () => {
    const raw = editedSpec({ ...rule, template: null, params: {}, expr: "up == 0" }, { for_s: 120 });
    expect(raw).toMatchObject({ expr: "up == 0", for_s: 120 });
    expect(raw).not.toHaveProperty("params");
    expect(raw).not.toHaveProperty("template");
  });
});
