// Periods of the overview. Reports count whole UTC days (the counters are
// kept per UTC day), so "today" and "the last 7 days" are UTC days too.
import type { OverviewReport, SeriesName } from '@/types/api';

export type Period = 'today' | '7' | '30' | '90' | 'custom';

export interface Range {
  from: string;
  to: string;
}

export const PERIODS: { value: Period; label: string }[] = [
  { value: 'today', label: 'Today' },
  { value: '7', label: 'Last 7 days' },
  { value: '30', label: 'Last 30 days' },
  { value: '90', label: 'Last 90 days' },
  { value: 'custom', label: 'Custom' },
];

/** The API's longest range (shared/report.MaxDays). */
export const MAX_DAYS = 366;

export function utcDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** The range of a preset period ending today (UTC). */
export function rangeOf(p: Exclude<Period, 'custom'>, now: Date): Range {
  const to = utcDay(now);
  const days = p === 'today' ? 1 : Number(p);
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (days - 1)));
  return { from: utcDay(from), to };
}

/** Checks a custom range before asking the API (which checks it too). */
export function customRangeProblem(r: Range): string | null {
  const re = /^\d{4}-\d{2}-\d{2}$/;
  if (!re.test(r.from) || !re.test(r.to)) return 'Pick both a start and an end date.';
  if (r.to < r.from) return 'The end date is before the start date.';
  const days = (Date.parse(r.to) - Date.parse(r.from)) / 86_400_000 + 1;
  if (days > MAX_DAYS) return `Pick at most ${MAX_DAYS} days.`;
  return null;
}

/** Seconds since the epoch at the start of each UTC day: uPlot's x axis. */
export function xs(days: string[]): number[] {
  return days.map((d) => Date.parse(d + 'T00:00:00Z') / 1000);
}

/** Daily rate num/den as a percentage; null on a day with nothing sent. */
export function ratePct(num: number[], den: number[]): (number | null)[] {
  return num.map((n, i) => (den[i] > 0 ? (100 * n) / den[i] : null));
}

/** Whether nothing at all was counted in the period. */
export function isEmpty(o: OverviewReport): boolean {
  return Object.values(o.totals).every((n) => n === 0);
}

export function total(o: OverviewReport, names: SeriesName[]): number {
  return names.reduce((s, n) => s + (o.totals[n] ?? 0), 0);
}

export function pct(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined ? '—' : `${(x * 100).toFixed(digits)}%`;
}

export function hours(h: number | null): string {
  if (h === null) return '—';
  if (h < 1) return `${Math.round(h * 60)} min`;
  if (h < 48) return `${h.toFixed(h < 10 ? 1 : 0)} h`;
  return `${(h / 24).toFixed(1)} days`;
}
