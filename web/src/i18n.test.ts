import { describe, expect, it } from "vitest";

import { formatBytes, interpolate, preferredLocale } from "./i18n";

describe("the language", () => {
  it("is the stored one, else the browser's first known one, else Chinese", () => {
    expect(preferredLocale("en", ["zh-CN"])).toBe("en");
    expect(preferredLocale(null, ["fr-FR", "en-US"])).toBe("en");
    expect(preferredLocale(null, ["zh-TW"])).toBe("zh-CN");
    expect(preferredLocale("de", ["de-DE"])).toBe("zh-CN");
  });

  it("fills a message's placeholders and leaves unknown ones", () => {
    expect(interpolate("{name} is {status}", { name: "gitea" })).toBe("gitea is {status}");
  });

  it("formats sizes for the locale", () => {
    expect(formatBytes(1536, "en")).toBe("1.5 KB");
    expect(formatBytes(512, "en")).toBe("512 B");
    expect(formatBytes(3 * 1024 ** 3, "zh-CN")).toBe("3 GB");
  });
});
