/**
 * The association's working hours (default: Sunday–Thursday 08:00–16:00, Asia/Riyadh), written
 * as `sun-thu 08:00-16:00 Asia/Riyadh`. Staff answer within them: a handoff's waiting time is
 * counted in working time, and a handoff outside them says when staff will be back.
 *
 * Local midnight is found from the zone's offset at the instant in question, which is exact for
 * zones without daylight saving (Saudi Arabia has none) and off by the shift on a change day
 * elsewhere.
 */
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

export interface WorkingHours {
  /** Weekdays open, 0 = Sunday. */
  days: ReadonlySet<number>;
  /** Minutes after local midnight. */
  opensAt: number;
  closesAt: number;
  timeZone: string;
}

export class WorkingHoursError extends Error {
  override readonly name = 'WorkingHoursError';
}

function dayIndex(name: string): number {
  const index = DAYS.indexOf(name.toLowerCase() as (typeof DAYS)[number]);
  if (index < 0) throw new WorkingHoursError(`unknown day "${name}" (expected sun, mon, … sat)`);
  return index;
}

function minutesOf(time: string): number {
  const match = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(time);
  if (!match) throw new WorkingHoursError(`bad time "${time}" (expected HH:MM)`);
  return Number(match[1]) * 60 + Number(match[2]);
}

/** Parses `sun-thu 08:00-16:00 Asia/Riyadh` (days as a range or a comma list; zone optional). */
export function parseWorkingHours(text: string): WorkingHours {
  const [dayPart, timePart, timeZone = 'Asia/Riyadh', ...rest] = text.trim().split(/\s+/);
  if (!dayPart || !timePart || rest.length) {
    throw new WorkingHoursError(
      'expected days, hours and an optional time zone, e.g. "sun-thu 08:00-16:00 Asia/Riyadh"',
    );
  }
  const days = new Set<number>();
  for (const item of dayPart.split(',')) {
    const [from, to] = item.split('-');
    const start = dayIndex(from ?? '');
    const end = to === undefined ? start : dayIndex(to);
    for (let day = start; ; day = (day + 1) % 7) {
      days.add(day);
      if (day === end) break;
    }
  }
  const [open, close] = timePart.split('-');
  const opensAt = minutesOf(open ?? '');
  const closesAt = minutesOf(close ?? '');
  if (closesAt <= opensAt) throw new WorkingHoursError('closing time must be after opening time');
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    throw new WorkingHoursError(`unknown time zone "${timeZone}"`);
  }
  return { days, opensAt, closesAt, timeZone };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The weekday and time of day at `at` in the zone, and the instant of that local midnight. */
function local(at: Date, timeZone: string): { weekday: number; minuteOfDay: number; midnight: number } {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(at).map((part) => [part.type, part.value]));
  const weekday = dayIndex(String(parts.weekday).slice(0, 3));
  const sinceMidnightMs =
    (Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second)) * 1000 +
    at.getUTCMilliseconds();
  return { weekday, minuteOfDay: sinceMidnightMs / MINUTE_MS, midnight: at.getTime() - sinceMidnightMs };
}

export function isWithinWorkingHours(hours: WorkingHours, at: Date): boolean {
  const { weekday, minuteOfDay } = local(at, hours.timeZone);
  return hours.days.has(weekday) && minuteOfDay >= hours.opensAt && minuteOfDay < hours.closesAt;
}

/** `at` itself when open, else the next opening time. */
export function nextOpening(hours: WorkingHours, at: Date): Date {
  if (isWithinWorkingHours(hours, at)) return at;
  const { weekday, minuteOfDay, midnight } = local(at, hours.timeZone);
  for (let ahead = 0; ahead <= 7; ahead++) {
    if (!hours.days.has((weekday + ahead) % 7)) continue;
    if (ahead === 0 && minuteOfDay >= hours.opensAt) continue;
    return new Date(midnight + ahead * DAY_MS + hours.opensAt * MINUTE_MS);
  }
  throw new WorkingHoursError('working hours have no open day');
}

/** The instant `durationMs` of working time after `at` (the clock stops outside working hours). */
export function addWorkingTime(hours: WorkingHours, at: Date, durationMs: number): Date {
  let cursor = at;
  let remaining = durationMs;
  for (let guard = 0; guard < 10_000; guard++) {
    cursor = nextOpening(hours, cursor);
    const { midnight } = local(cursor, hours.timeZone);
    const closes = midnight + hours.closesAt * MINUTE_MS;
    if (cursor.getTime() + remaining <= closes) return new Date(cursor.getTime() + remaining);
    remaining -= closes - cursor.getTime();
    cursor = new Date(closes);
  }
  throw new WorkingHoursError('duration too long for the working hours');
}
