import { describe, expect, it } from 'vitest';
import {
  cronJobScheduleErrors,
  CronSyntaxError,
  mostRecentScheduleTime,
  parseCronSchedule,
} from '../../src/sandbox/kube/cron-schedule.js';

const at = (text: string) => new Date(text);
const nextTimes = (schedule: string, from: string, count: number, timeZone?: string): string[] => {
  const parsed = parseCronSchedule(schedule, timeZone);
  const times: string[] = [];
  let current: Date | undefined = at(from);
  for (let i = 0; i < count && current; i++) {
    current = parsed.next(current);
    if (current) times.push(current.toISOString());
  }
  return times;
};

describe('cron schedules', () => {
  it('steps, ranges and lists', () => {
    expect(nextTimes('*/15 * * * *', '2026-03-01T10:07:30Z', 3)).toEqual([
      '2026-03-01T10:15:00.000Z',
      '2026-03-01T10:30:00.000Z',
      '2026-03-01T10:45:00.000Z',
    ]);
    expect(nextTimes('5,10-12 3 * * *', '2026-03-01T03:10:00Z', 3)).toEqual([
      '2026-03-01T03:11:00.000Z',
      '2026-03-01T03:12:00.000Z',
      '2026-03-02T03:05:00.000Z',
    ]);
    // `5/20` runs from 5 to the end of the range.
    expect(nextTimes('5/20 0 * * *', '2026-03-01T00:00:00Z', 3)).toEqual([
      '2026-03-01T00:05:00.000Z',
      '2026-03-01T00:25:00.000Z',
      '2026-03-01T00:45:00.000Z',
    ]);
  });

  it('is strictly after the given instant', () => {
    expect(nextTimes('0 3 * * *', '2026-03-01T03:00:00Z', 1)).toEqual(['2026-03-02T03:00:00.000Z']);
  });

  it('reads month and weekday names, and crosses months and years', () => {
    // 2026-12-31 is a Thursday; the next Monday in January is the 5th.
    expect(nextTimes('30 9 * jan mon', '2026-12-31T12:00:00Z', 2)).toEqual([
      '2027-01-04T09:30:00.000Z',
      '2027-01-11T09:30:00.000Z',
    ]);
    expect(nextTimes('0 0 29 feb *', '2026-03-01T00:00:00Z', 1)).toEqual(['2028-02-29T00:00:00.000Z']);
  });

  it('matches either day field when both are restricted, both when one is a star', () => {
    // 2026-03-01 is a Sunday: day 15 or any Friday.
    expect(nextTimes('0 0 15 * fri', '2026-03-01T00:00:00Z', 3)).toEqual([
      '2026-03-06T00:00:00.000Z',
      '2026-03-13T00:00:00.000Z',
      '2026-03-15T00:00:00.000Z',
    ]);
    expect(nextTimes('0 0 * * fri', '2026-03-01T00:00:00Z', 1)).toEqual(['2026-03-06T00:00:00.000Z']);
  });

  it('expands descriptors and @every', () => {
    expect(nextTimes('@hourly', '2026-03-01T10:07:00Z', 1)).toEqual(['2026-03-01T11:00:00.000Z']);
    expect(nextTimes('@weekly', '2026-03-02T00:00:00Z', 1)).toEqual(['2026-03-08T00:00:00.000Z']);
    expect(nextTimes('@every 1h30m', '2026-03-01T10:07:00Z', 2)).toEqual([
      '2026-03-01T11:37:00.000Z',
      '2026-03-01T13:07:00.000Z',
    ]);
  });

  it('schedules in a time zone, across its daylight saving change', () => {
    // Europe/Paris is UTC+1 in winter and UTC+2 from 2026-03-29.
    expect(nextTimes('0 3 * * *', '2026-03-27T12:00:00Z', 3, 'Europe/Paris')).toEqual([
      '2026-03-28T02:00:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T01:00:00.000Z',
    ]);
  });

  it('gives nothing for a date that never comes', () => {
    expect(parseCronSchedule('0 0 31 feb *').next(at('2026-01-01T00:00:00Z'))).toBeUndefined();
  });

  it('refuses what robfig/cron refuses, with its messages', () => {
    const error = (schedule: string) => {
      try {
        parseCronSchedule(schedule);
      } catch (caught) {
        expect(caught).toBeInstanceOf(CronSyntaxError);
        return (caught as Error).message;
      }
      throw new Error(`${schedule} was accepted`);
    };
    expect(error('* * *')).toBe('expected exactly 5 fields, found 3: [* * *]');
    expect(error('61 * * * *')).toBe('end of range (61) above maximum (59): 61');
    expect(error('* * 0 * *')).toBe('beginning of range (0) below minimum (1): 0');
    expect(error('* * * * 7')).toBe('end of range (7) above maximum (6): 7');
    expect(error('5-2 * * * *')).toBe('beginning of range (5) beyond end of range (2): 5-2');
    expect(error('*/0 * * * *')).toBe('step of range should be a positive number: */0');
    expect(error('x * * * *')).toBe('failed to parse int from x: invalid syntax');
    expect(error('@fortnightly')).toBe('unrecognized descriptor: @fortnightly');
  });

  it('validates a CronJob spec as the apiserver does', () => {
    expect(cronJobScheduleErrors({ schedule: '0 3 * * *', timeZone: 'Europe/Paris' })).toEqual([]);
    expect(cronJobScheduleErrors({})).toEqual([
      { type: 'FieldValueRequired', field: 'spec.schedule', body: 'Required value' },
    ]);
    expect(cronJobScheduleErrors({ schedule: 'TZ=UTC 0 3 * * *', timeZone: 'Mars/Olympus' })).toEqual([
      {
        type: 'FieldValueInvalid',
        field: 'spec.schedule',
        body: 'Invalid value: "TZ=UTC 0 3 * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
      },
      {
        type: 'FieldValueInvalid',
        field: 'spec.timeZone',
        body: 'Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus',
      },
    ]);
  });
});

describe('the most recent missed schedule', () => {
  it('is the latest time up to now, counting the earlier ones as missed', () => {
    const schedule = parseCronSchedule('*/10 * * * *');
    expect(mostRecentScheduleTime(schedule, at('2026-03-01T10:00:00Z'), at('2026-03-01T10:35:00Z'))).toEqual({
      time: at('2026-03-01T10:30:00Z'),
      missed: 2,
    });
    expect(mostRecentScheduleTime(schedule, at('2026-03-01T10:30:00Z'), at('2026-03-01T10:35:00Z'))).toEqual({
      missed: 0,
    });
  });
});
