import { describe, expect, it } from "vitest";

import { channelBody, emptyChannel, formOf } from "./channels";
import type { Channel } from "./types";

describe("a channel from the form", () => {
  it("is a webhook with its URL and signing secret, for its team", () => {
    const form = { ...emptyChannel("web"), name: " hook ", url: " https://hooks.example.com/q ", secret: "s3cret" };
    expect(channelBody(form, true)).toEqual({
      name: "hook",
      kind: "webhook",
      language: "en",
      topics: form.topics,
      severities: ["warning", "critical"],
      enabled: true,
      team: "web",
      url: "https://hooks.example.com/q",
      secret: "s3cret",
    });
  });

  it("sends no secret for a kind that has none, and no address fields for email", () => {
    const slack = channelBody({ ...emptyChannel(null), name: "s", kind: "slack", url: "https://hooks.slack.com/x", secret: "left over" }, true);
    expect(slack).not.toHaveProperty("secret");
    const email = channelBody(
      { ...emptyChannel(null), name: "m", kind: "email", host: "smtp.example.com", port: "25", sender: "q@example.com", recipients: "a@example.com\nb@example.com, c@example.com", password: "pw", url: "x" },
      true,
    );
    expect(email).toMatchObject({
      email: { host: "smtp.example.com", port: 25, starttls: true, username: null, sender: "q@example.com", recipients: ["a@example.com", "b@example.com", "c@example.com"] },
      password: "pw",
    });
    expect(email).not.toHaveProperty("url");
  });

  it("keeps the saved address on a change unless a new one is typed; a new secret needs its URL", () => {
    const channel: Channel = {
      channel_id: "ch-1",
      team: "web",
      definition: { name: "hook", kind: "webhook", language: "zh", topics: ["alert.fired"], severities: ["critical"], url_hint: "https://hooks.example.com", enabled: false },
      failing: false,
    };
    const form = formOf(channel);
    expect(form).toMatchObject({ name: "hook", team: "web", language: "zh", url: "", secret: "", topics: ["alert.fired"], enabled: false });
    const kept = channelBody(form, false);
    expect(kept).not.toHaveProperty("url");
    expect(kept).not.toHaveProperty("team"); // a channel does not change team
    expect(channelBody({ ...form, secret: "new" }, false)).toMatchObject({ field: "url", key: "urlMissing" });
  });

  it("names the field that is wrong", () => {
    const base = { ...emptyChannel(null), name: "n", url: "https://x.example.com" };
    expect(channelBody({ ...base, name: " " }, true)).toMatchObject({ field: "name", key: "nameMissing" });
    expect(channelBody({ ...base, url: "" }, true)).toMatchObject({ field: "url", key: "urlMissing" });
    expect(channelBody({ ...base, topics: [] }, true)).toMatchObject({ field: "topics", key: "nothingChosen" });
    const email = { ...base, kind: "email" as const, host: "smtp.example.com", sender: "a@example.com", recipients: "b@example.com" };
    expect(channelBody({ ...email, host: "" }, true)).toMatchObject({ field: "email.host" });
    expect(channelBody({ ...email, port: "70000" }, true)).toMatchObject({ field: "email.port", key: "badPort" });
    expect(channelBody({ ...email, recipients: " , " }, true)).toMatchObject({ field: "email.recipients" });
  });
});
