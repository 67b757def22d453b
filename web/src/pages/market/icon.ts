/** The icon's URL when it is the console's own origin (or a data: image); null for anything else, which
 * is never fetched (the console reaches nothing but its gateway), so a letter stands in for it. */
export function ownIcon(url: string | null | undefined, origin: string): string | null {
  if (!url) return null;
  if (/^data:image\/(png|gif|jpeg|webp);/i.test(url)) return url; // not svg+xml: the CSP keeps to raster data
  try {
    const parsed = new URL(url, origin);
    return parsed.origin === origin ? parsed.href : null;
  } catch {
    return null;
  }
}

/** The letter shown for an app without an icon of its own. */
export function initialOf(title: string): string {
  return (title.trim()[0] ?? "?").toUpperCase();
}
