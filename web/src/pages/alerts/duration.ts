// Durations as people type them ("90s", "5m", "1h30m", "2d", or plain seconds) and as the console shows them.

const UNIT_S: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Seconds from "1h30m", "5m", "45s", "2d", "1w" or "300"; null when it is not a duration. */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  if (!/^(\d+[wdhms])+$/.test(trimmed)) return null;
  let seconds = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+)([wdhms])/g)) seconds += Number(amount) * UNIT_S[unit!]!;
  return seconds;
}

/** "1h30m" from 5400, "0s" from 0: the largest units first, none that is zero. */
export function formatDuration(seconds: number): string {
  if (!seconds) return "0s";
  let left = Math.round(seconds);
  let text = "";
  for (const unit of ["d", "h", "m", "s"]) {
    const size = UNIT_S[unit]!;
    if (left >= size) {
      text += `${Math.floor(left / size)}${unit}`;
      left %= size;
    }
  }
  return text;
}
