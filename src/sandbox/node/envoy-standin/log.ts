/**
 * Envoy's text log lines, `[2024-05-01 10:00:00.123][42][info][config] message` (its default format without the
 * source location, which the stand-in has none of), filtered by `--log-level` as Envoy filters them.
 */
import { LOG_LEVELS, type LogLevel } from './args.js';

export type StandInLogLevel = Exclude<LogLevel, 'off'>;
/** Envoy's logger names the stand-in writes under. */
export type LoggerName = 'main' | 'config' | 'upstream' | 'admin';

export type StandInLog = (level: StandInLogLevel, logger: LoggerName, message: string) => void;

export function formatLogLine(
  at: Date,
  thread: number,
  level: StandInLogLevel,
  logger: LoggerName,
  message: string,
): string {
  const stamp = at.toISOString().replace('T', ' ').replace('Z', '');
  return `[${stamp}][${thread}][${level}][${logger}] ${message}`;
}

export function isLogged(level: StandInLogLevel, threshold: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(threshold);
}

/** A log that writes lines at or above `threshold` to `write`. */
export function envoyLog(
  threshold: LogLevel,
  write: (line: string) => void,
  now: () => Date = () => new Date(),
  thread: number = process.pid,
): StandInLog {
  return (level, logger, message) => {
    if (isLogged(level, threshold)) write(`${formatLogLine(now(), thread, level, logger, message)}\n`);
  };
}
