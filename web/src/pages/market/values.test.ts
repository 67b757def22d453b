import { describe, expect, it } from "vitest";

import { changedValues, secretUiSchema, valuesErrorSchema } from "./values";

describe("secretUiSchema", () => {
  it("shows what the schema marks, and credentials by their key, as password inputs", () => {
    const schema = {
      type: "object" as const,
      properties: {
        admin: { type: "object" as const, properties: { password: { type: "string" as const }, email: { type: "string" as const } } },
        metrics: { type: "object" as const, properties: { key: { type: "string" as const, "x-quickon-secret": true } } },
        users: { type: "array" as const, items: { type: "object" as const, properties: { apiKey: { type: "string" as const } } } },
        tokenCount: { type: "integer" as const },
        plain: { type: "string" as const, writeOnly: true },
      },
    };
    expect(secretUiSchema(schema)).toEqual({
      admin: { password: { "ui:widget": "password" } },
      metrics: { key: { "ui:widget": "password" } },
      users: { items: { apiKey: { "ui:widget": "password" } } },
      plain: { "ui:widget": "password" },
    });
  });
});

describe("changedValues", () => {
  const defaults = { gitea: { appName: "Gitea", rootUrl: "" }, replicas: 1, hosts: ["a"], email: "x@y" };

  it("keeps only what differs, nested, lists whole", () => {
    const edited = { gitea: { appName: "Our Git", rootUrl: "" }, replicas: 1, hosts: ["a", "b"], email: "x@y" };
    expect(changedValues(defaults, edited)).toEqual({ gitea: { appName: "Our Git" }, hosts: ["a", "b"] });
  });

  it("sends an emptied text as empty, and nothing when nothing changed", () => {
    expect(changedValues(defaults, { gitea: { appName: "Gitea" }, replicas: 1, hosts: ["a"] })).toEqual({ email: "" });
    expect(changedValues(defaults, structuredClone(defaults))).toEqual({});
  });
});

describe("valuesErrorSchema", () => {
  it("places each values error at its field and leaves the others", () => {
    const schema = valuesErrorSchema([
      { field: "body.values.gitea.appName", message: "too long" },
      { field: "body.values", message: "not an object" },
      { field: "body.name", message: "bad name" },
    ]);
    expect(schema).toEqual({ gitea: { appName: { __errors: ["too long"] } }, __errors: ["not an object"] });
  });
});
