import { z } from 'zod';

/**
 * Reports and filters count days in Riyadh time, where the association works. Saudi Arabia keeps
 * UTC+3 all year (no daylight saving), so a calendar date maps to one fixed instant.
 */
export const REPORT_TIME_ZONE = 'Asia/Riyadh';
const RIYADH_OFFSET = '+03:00';

const DAY_MS = 24 * 60 * 60 * 1000;

const dateOrDateTime = z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
  error: 'expected a date (YYYY-MM-DD) or an ISO date-time',
});

/** `from`: a date means its first instant in Riyadh; a date-time is taken as is. */
export const fromBound = dateOrDateTime.transform((value) =>
  value.length === 10 ? new Date(`${value}T00:00:00${RIYADH_OFFSET}`) : new Date(value),
);

/** `to`, inclusive: a date means through the end of that day in Riyadh (the bound is exclusive). */
export const toBound = dateOrDateTime.transform((value) =>
  value.length === 10
    ? new Date(new Date(`${value}T00:00:00${RIYADH_OFFSET}`).getTime() + DAY_MS)
    : new Date(value),
);

/** Query-string values arrive as strings; an empty one (`?city=`) means no filter. */
export const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

export interface DateRange {
  from?: Date | undefined;
  to?: Date | undefined;
}

export const dateRangeQuery = z.object({ from: optional(fromBound), to: optional(toBound) });
