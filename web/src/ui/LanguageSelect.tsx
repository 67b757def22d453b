import { defineMessages, type Locale, LOCALES, useLocale, useT } from "../i18n";

const messages = defineMessages({ en: { language: "Language" }, "zh-CN": { language: "语言" } });
// Each language by its own name, so a user who cannot read the current one still finds theirs.
const NAMES: Record<Locale, string> = { "zh-CN": "中文", en: "English" };

export function LanguageSelect() {
  const t = useT(messages);
  const { locale, setLocale } = useLocale();
  return (
    <select aria-label={t("language")} value={locale} onChange={(e) => setLocale(e.target.value as Locale)}>
      {LOCALES.map((l) => (
        <option key={l} value={l} lang={l}>
          {NAMES[l]}
        </option>
      ))}
    </select>
  );
}
