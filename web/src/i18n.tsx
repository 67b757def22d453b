// Chinese (zh-CN) and English. Every string a user reads goes through `useT(messages)`, where each module
// keeps its own messages beside it (defineMessages checks both languages have the same keys). The language
// comes from the browser, can be switched, and is remembered; dates, numbers and sizes follow it.
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from "react";

export const LOCALES = ["zh-CN", "en"] as const;
export type Locale = (typeof LOCALES)[number];
const STORED = "quickon.locale";

/** Messages of one module: the English ones define the keys, the Chinese ones must have the same. */
export function defineMessages<K extends string>(messages: { en: Record<K, string>; "zh-CN": Record<K, string> }) {
  return messages;
}
export type Messages<K extends string> = ReturnType<typeof defineMessages<K>>;

export function preferredLocale(stored: string | null, languages: readonly string[]): Locale {
  if (stored === "en" || stored === "zh-CN") return stored;
  for (const language of languages) {
    if (language.toLowerCase().startsWith("zh")) return "zh-CN";
    if (language.toLowerCase().startsWith("en")) return "en";
  }
  return "zh-CN";
}

interface LocaleState {
  locale: Locale;
  setLocale: (locale: Locale) => void;
}

const LocaleContext = createContext<LocaleState>({ locale: "zh-CN", setLocale: () => {} });

export function LocaleProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(() => preferredLocale(localStorage.getItem(STORED), navigator.languages));
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  const setLocale = useCallback((next: Locale) => {
    localStorage.setItem(STORED, next);
    setLocaleState(next);
  }, []);
  const value = useMemo(() => ({ locale, setLocale }), [locale, setLocale]);
  return <LocaleContext.Provider value={value}>{children}</LocaleContext.Provider>;
}

export function useLocale(): LocaleState {
  return useContext(LocaleContext);
}

type Vars = Record<string, string | number>;

/** `{name}` in a message is replaced by ``vars.name``. */
export function interpolate(text: string, vars?: Vars): string {
  return vars ? text.replace(/\{(\w+)\}/g, (whole, key: string) => (key in vars ? String(vars[key]) : whole)) : text;
}

export function useT<K extends string>(messages: Messages<K>): (key: K, vars?: Vars) => string {
  const { locale } = useLocale();
  return useCallback((key: K, vars?: Vars) => interpolate(messages[locale][key] ?? messages.en[key], vars), [locale, messages]);
}

const UNITS = ["B", "KB", "MB", "GB", "TB"];

export function formatBytes(bytes: number, locale: Locale): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: unit ? 1 : 0 }).format(value)} ${UNITS[unit]}`;
}

/** Dates, numbers and sizes in the user's language. */
export function useFormat() {
  const { locale } = useLocale();
  return useMemo(() => {
    const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "medium" });
    const number = new Intl.NumberFormat(locale);
    return {
      date: (value: string | number | Date | null | undefined) => (value ? dateTime.format(new Date(value)) : "—"),
      number: (value: number) => number.format(value),
      bytes: (value: number) => formatBytes(value, locale),
    };
  }, [locale]);
}
