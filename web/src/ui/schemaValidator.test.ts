import { describe, expect, it } from "vitest";

import { schemaValidator } from "./schemaValidator";

const schema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object" as const,
  required: ["name"],
  properties: {
    name: { type: "string" as const, maxLength: 5 },
    admin: { type: "object" as const, additionalProperties: false, properties: { email: { type: "string" as const, format: "email" } } },
    port: { type: "integer" as const, minimum: 1 },
    secret: { type: "string" as const, format: "password" },
  },
};

describe("schemaValidator", () => {
  it("names each failing field, with the schema's bound, and no wrapper errors", () => {
    const { errors, errorSchema } = schemaValidator.validateFormData(
      { name: "toolong", admin: { email: "nope", extra: 1 }, port: 0, secret: "anything" },
      schema,
    );
    expect(errors.map((e) => [e.property, e.name, e.params.limit])).toEqual([
      [".name", "maxLength", 5],
      [".admin.email", "format", "email"],
      [".admin.extra", "additionalProperties", undefined],
      [".port", "minimum", 1],
    ]);
    expect(errorSchema.admin?.email?.__errors).toHaveLength(1);
  });

  it("puts a missing required value at its field, and passes valid data", () => {
    const { errors } = schemaValidator.validateFormData({}, schema);
    expect(errors.map((e) => [e.property, e.name])).toEqual([[".name", "required"]]);
    expect(schemaValidator.validateFormData({ name: "ok" }, schema).errors).toEqual([]);
    expect(schemaValidator.isValid(schema.properties.port, 3, schema)).toBe(true);
  });
});
