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

/** The language the console opens in: the one chosen before (localStorage), else the browser's. */
export function startingLocale(): Locale {
  return preferredLocale(localStorage.getItem(STORED), navigator.languages);
}

export function LocaleProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(startingLocale);
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

// Intl formatters are slow to make and quick to use: Chromium builds each one's patterns from its locale data
// (one date-and-time format took tens of milliseconds of the dashboard's first render, made anew by every
// component that formats). One of each kind per locale, made when first used.
const formatters = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();

function formatter<T extends Intl.NumberFormat | Intl.DateTimeFormat>(key: string, make: () => T): T {
  let found = formatters.get(key) as T | undefined;
  if (found === undefined) {
    found = make();
    formatters.set(key, found);
  }
  return found;
}

const numbers = (locale: Locale, digits?: number) =>
  formatter(`number:${locale}:${digits ?? ""}`, () => new Intl.NumberFormat(locale, digits === undefined ? {} : { maximumFractionDigits: digits }));
const dateTimes = (locale: Locale) => formatter(`date:${locale}`, () => new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "medium" }));

/** Make now what the first page's numbers and sizes need (its formatters, and the stored language read, the first
 * read of localStorage being a slow one too), while the page has nothing else to do: main.tsx calls it while the
 * dashboard's data is on its way, so the first render does not spend tens of milliseconds on it. */
export function prepareFormats(): void {
  const locale = startingLocale();
  for (const digits of [0, 1, 2]) numbers(locale, digits).format(1.5); // formatBytes (0, 1) and cores (2)
}

/** A number in ``locale``, with at most ``digits`` decimals (its locale's default when none are given). */
export function formatNumber(value: number, locale: Locale, digits?: number): string {
  return numbers(locale, digits).format(value);
}

export function formatBytes(bytes: number, locale: Locale): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${formatNumber(value, locale, unit ? 1 : 0)} ${UNITS[unit]}`;
}

/** Dates, numbers and sizes in the user's language. */
export function useFormat() {
  const { locale } = useLocale();
  return useMemo(
    () => ({
      date: (value: string | number | Date | null | undefined) => (value ? dateTimes(locale).format(new Date(value)) : "—"),
      number: (value: number) => formatNumber(value, locale),
      bytes: (value: number) => formatBytes(value, locale),
    }),
    [locale],
  );
}
