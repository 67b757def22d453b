// The schedule form's values and the request body they make (PUT …/backups/schedule). The gateway checks the
// cron and time zone and answers 422 naming the field; this only trims and turns "keep N" into a number.
import type { Schedule } from "./data";

export interface ScheduleForm {
  cron: string;
  timezone: string;
  keepLast: string;
}

export interface ScheduleBody {
  cron: string;
  timezone: string;
  keep_last: number | string | null;
  drill: boolean;
}

/** A new schedule starts at 03:00 every day in the browser's time zone, keeping everything. */
export function formOf(schedule: Schedule | null | undefined, browserZone = defaultZone()): ScheduleForm {
  if (!schedule) return { cron: "0 3 * * *", timezone: browserZone, keepLast: "" };
  return { cron: schedule.cron, timezone: schedule.timezone, keepLast: schedule.keep_last ? String(schedule.keep_last) : "" };
}

/** "" keeps all; a whole number is sent as one; anything else is sent as typed, for the gateway to name. */
export function bodyOf(form: ScheduleForm, drill = false): ScheduleBody {
  const keep = form.keepLast.trim();
  const number = Number(keep);
  return {
    cron: form.cron.trim().replace(/\s+/g, " "),
    timezone: form.timezone.trim() || "UTC",
    keep_last: keep === "" ? null : Number.isInteger(number) ? number : keep,
    drill,
  };
}

function defaultZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}
