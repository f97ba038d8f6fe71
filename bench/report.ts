/** How every benchmark reports: one line for people, one JSON file for comparisons over time. */
import { mkdirSync, writeFileSync } from 'node:fs';

export interface BenchResult {
  name: string;
  unit: string;
  figure: number;
  /** The same measurement of the thing we are compared with, taken in the same run where possible. */
  anchor?: number;
  anchorLabel?: string;
  goal?: string;
  details?: unknown;
}

export function report(result: BenchResult): void {
  const ratio = result.anchor ? result.figure / result.anchor : undefined;
  const line = [
    `${result.name}: ${result.figure.toFixed(1)} ${result.unit}`,
    result.anchor !== undefined
      ? `vs ${result.anchorLabel ?? 'anchor'} ${result.anchor.toFixed(1)} ${result.unit}`
      : '',
    ratio !== undefined ? `ratio ${ratio.toFixed(2)}` : '',
    result.goal ? `(goal: ${result.goal})` : '',
  ]
    .filter(Boolean)
    .join(', ');
  console.log(line);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    `bench/results/${result.name}.json`,
    `${JSON.stringify({ ...result, ratio, measuredAt: new Date().toISOString(), node: process.version }, null, 2)}\n`,
  );
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}
