/**
 * CronJob schedules as the Kubernetes controller reads them (robfig/cron's standard parser): five fields
 * (minute, hour, day of month, month, day of week) with `*`, `?`, ranges, steps, lists and month/day names, or
 * a descriptor (`@hourly`, `@daily`, `@every 90m`, …); times in UTC or in an IANA time zone. Pure: parse once,
 * then ask for the next time after an instant.
 */
import type { FieldError } from './api-errors.js';

export class CronSyntaxError extends Error {}

export interface CronSchedule {
  /** The first scheduled instant strictly after `after`, or undefined when none comes within five years. */
  next(after: Date): Date | undefined;
}

interface FieldBounds {
  min: number;
  max: number;
  names?: string[];
}

const MINUTE: FieldBounds = { min: 0, max: 59 };
const HOUR: FieldBounds = { min: 0, max: 23 };
const DAY_OF_MONTH: FieldBounds = { min: 1, max: 31 };
const MONTH: FieldBounds = {
  min: 1,
  max: 12,
  names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
};
const DAY_OF_WEEK: FieldBounds = { min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] };

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MINUTE_MS = 60_000;
const SEARCH_YEARS = 5;

/** The values a field allows, and whether it was written as an unrestricted `*` (which changes day matching). */
interface ParsedField {
  values: Set<number>;
  star: boolean;
}

function parseNumber(text: string, bounds: FieldBounds): number {
  const named = bounds.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) return named + bounds.min;
  if (!/^-?\d+$/.test(text)) throw new CronSyntaxError(`failed to parse int from ${text}: invalid syntax`);
  const value = Number(text);
  if (value < 0) throw new CronSyntaxError(`negative number (${value}) not allowed: ${text}`);
  return value;
}

function parseRange(expression: string, bounds: FieldBounds): ParsedField {
  const [range = '', stepText, ...extraSlashes] = expression.split('/');
  if (extraSlashes.length > 0) throw new CronSyntaxError(`too many slashes: ${expression}`);
  const [lowText = '', highText, ...extraHyphens] = range.split('-');
  if (extraHyphens.length > 0) throw new CronSyntaxError(`too many hyphens: ${expression}`);
  let star = lowText === '*' || lowText === '?';
  const low = star ? bounds.min : parseNumber(lowText, bounds);
  let high = star ? bounds.max : highText === undefined ? low : parseNumber(highText, bounds);
  let step = 1;
  if (stepText !== undefined) {
    step = parseNumber(stepText, { min: 0, max: 0 });
    if (step <= 0) throw new CronSyntaxError(`step of range should be a positive number: ${expression}`);
    // `5/15` means from 5 to the end, every 15.
    if (!star && highText === undefined) high = bounds.max;
    if (step > 1) star = false;
  }
  if (low < bounds.min)
    throw new CronSyntaxError(`beginning of range (${low}) below minimum (${bounds.min}): ${expression}`);
  if (high > bounds.max)
    throw new CronSyntaxError(`end of range (${high}) above maximum (${bounds.max}): ${expression}`);
  if (low > high) throw new CronSyntaxError(`beginning of range (${low}) beyond end of range (${high}): ${expression}`);
  const values = new Set<number>();
  for (let value = low; value <= high; value += step) values.add(value);
  return { values, star };
}

function parseField(text: string, bounds: FieldBounds): ParsedField {
  const ranges = text.split(',').map((part) => parseRange(part, bounds));
  return {
    values: new Set(ranges.flatMap((range) => [...range.values])),
    star: ranges.some((range) => range.star),
  };
}

/** Go's time.ParseDuration for the units a schedule uses (`1h30m`, `90s`). */
function parseDuration(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(h|m|s|ms)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text)
    throw new CronSyntaxError(`failed to parse duration @every ${text}: time: invalid duration "${text}"`);
  const unit: Record<string, number> = { h: 3_600_000, m: MINUTE_MS, s: 1000, ms: 1 };
  return parts.reduce((total, part) => total + Number(part[1]) * unit[part[2]!]!, 0);
}

/** Offset of a time zone from UTC at an instant, in milliseconds (wall clock minus UTC). */
function zoneOffset(formatter: Intl.DateTimeFormat, instant: number): number {
  const fields: Record<string, number> = {};
  for (const part of formatter.formatToParts(instant))
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  const wall = Date.UTC(fields.year!, fields.month! - 1, fields.day!, fields.hour!, fields.minute!, fields.second!);
  return wall - Math.floor(instant / 1000) * 1000;
}

/** A formatter for a time zone, or a CronSyntaxError in the apiserver's words for an unknown one. */
export function timeZoneFormatter(timeZone: string): Intl.DateTimeFormat {
  try {
    return new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    throw new CronSyntaxError(`unknown time zone ${timeZone}`);
  }
}

export function parseCronSchedule(text: string, timeZone?: string): CronSchedule {
  const trimmed = text.trim();
  if (trimmed === '') throw new CronSyntaxError('empty spec string');
  if (trimmed.startsWith('@every ')) {
    const interval = parseDuration(trimmed.slice('@every '.length).trim());
    // As robfig/cron: at least a second, in whole seconds.
    const delay = Math.max(1000, Math.floor(interval / 1000) * 1000);
    return { next: (after) => new Date(Math.floor(after.getTime() / 1000) * 1000 + delay) };
  }
  let expression = trimmed;
  if (trimmed.startsWith('@')) {
    const expanded = DESCRIPTORS[trimmed];
    if (!expanded) throw new CronSyntaxError(`unrecognized descriptor: ${trimmed}`);
    expression = expanded;
  }
  const fields = expression.split(/\s+/);
  if (fields.length !== 5)
    throw new CronSyntaxError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  const [minutes, hours, daysOfMonth, months, daysOfWeek] = [
    parseField(fields[0]!, MINUTE),
    parseField(fields[1]!, HOUR),
    parseField(fields[2]!, DAY_OF_MONTH),
    parseField(fields[3]!, MONTH),
    parseField(fields[4]!, DAY_OF_WEEK),
  ];
  const formatter = timeZone ? timeZoneFormatter(timeZone) : undefined;

  // Day of month and day of week: both must match when either is `*`, else either may (as cron does).
  const dayMatches = (wall: Date): boolean => {
    const dom = daysOfMonth.values.has(wall.getUTCDate());
    const dow = daysOfWeek.values.has(wall.getUTCDay());
    return daysOfMonth.star || daysOfWeek.star ? dom && dow : dom || dow;
  };

  /** The next matching wall-clock minute after `wall`, all in UTC fields. */
  const nextWall = (wallAfter: number): number | undefined => {
    const t = new Date(Math.floor(wallAfter / MINUTE_MS) * MINUTE_MS + MINUTE_MS);
    const lastYear = t.getUTCFullYear() + SEARCH_YEARS;
    while (t.getUTCFullYear() <= lastYear) {
      if (!months.values.has(t.getUTCMonth() + 1)) {
        t.setUTCMonth(t.getUTCMonth() + 1, 1);
        t.setUTCHours(0, 0, 0, 0);
      } else if (!dayMatches(t)) {
        t.setUTCDate(t.getUTCDate() + 1);
        t.setUTCHours(0, 0, 0, 0);
      } else if (!hours.values.has(t.getUTCHours())) {
        t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
      } else if (!minutes.values.has(t.getUTCMinutes())) {
        t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
      } else return t.getTime();
    }
    return undefined;
  };

  return {
    next(after) {
      if (!formatter) {
        const found = nextWall(after.getTime());
        return found === undefined ? undefined : new Date(found);
      }
      const instantAfter = after.getTime();
      const found = nextWall(instantAfter + zoneOffset(formatter, instantAfter));
      if (found === undefined) return undefined;
      // The wall time back to an instant, with the offset in force then (a second guess settles DST changes).
      const guess = found - zoneOffset(formatter, found);
      const instant = found - zoneOffset(formatter, guess);
      return new Date(instant > instantAfter ? instant : guess);
    },
  };
}

/**
 * The latest scheduled instant in (`earliest`, `now`], if any, and how many were missed before it — what the
 * controller runs after being away (only the most recent missed run starts, as in Kubernetes).
 */
export function mostRecentScheduleTime(
  schedule: CronSchedule,
  earliest: Date,
  now: Date,
): { time?: Date; missed: number } {
  let time: Date | undefined;
  let missed = 0;
  for (let next = schedule.next(earliest); next && next <= now; next = schedule.next(next)) {
    if (time) missed++;
    time = next;
  }
  return { ...(time ? { time } : {}), missed };
}

/** The apiserver's validation of a CronJob's schedule and time zone. */
export function cronJobScheduleErrors(spec: { schedule?: unknown; timeZone?: unknown }): FieldError[] {
  const invalidValue = (field: string, value: unknown, detail: string): FieldError => ({
    type: 'FieldValueInvalid',
    field,
    body: `Invalid value: ${JSON.stringify(value)}: ${detail}`,
  });
  if (typeof spec.schedule !== 'string' || spec.schedule === '')
    return [{ type: 'FieldValueRequired', field: 'spec.schedule', body: 'Required value' }];
  const errors: FieldError[] = [];
  if (/(^|\s)(CRON_)?TZ=/.test(spec.schedule))
    errors.push(
      invalidValue('spec.schedule', spec.schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'),
    );
  else
    try {
      parseCronSchedule(spec.schedule);
    } catch (error) {
      if (!(error instanceof CronSyntaxError)) throw error;
      errors.push(invalidValue('spec.schedule', spec.schedule, error.message));
    }
  if (typeof spec.timeZone === 'string')
    try {
      timeZoneFormatter(spec.timeZone);
    } catch (error) {
      if (!(error instanceof CronSyntaxError)) throw error;
      errors.push(invalidValue('spec.timeZone', spec.timeZone, error.message));
    }
  return errors;
}
