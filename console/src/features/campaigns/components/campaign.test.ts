import { describe, expect, it } from 'vitest';
import { resultsByDay } from './campaign';

describe('resultsByDay', () => {
  it('sums counters by the day each send started, every day from first to last', () => {
    const r = resultsByDay([
      { id: 'o1', counts: { sent: 10, delivered: 9, unique_opens_human: 4 }, queued: 10, fanout_done: true, started_at: '2026-12-01T09:00:00Z' },
      { id: 'o2', counts: { sent: 5, delivered: 5, conversions: 1 }, queued: 5, fanout_done: true, started_at: '2026-12-03T09:00:00Z' },
      { id: 'o3', counts: { sent: 2 }, queued: 2, fanout_done: true, started_at: '2026-12-03T18:00:00Z' },
      // Not started yet: no day to put it on.
      { id: 'o4', counts: {}, queued: 0, fanout_done: false },
    ])!;
    expect(r.days).toEqual(['2026-12-01', '2026-12-02', '2026-12-03']);
    const by = Object.fromEntries(r.series.map((s) => [s.key, s.values]));
    expect(by.sent).toEqual([10, 0, 7]);
    expect(by.delivered).toEqual([9, 0, 5]);
    expect(by.unique_opens_human).toEqual([4, 0, 0]);
    expect(by.conversions).toEqual([0, 0, 1]);
  });

  it('has nothing to draw before a first send', () => {
    expect(resultsByDay(undefined)).toBeNull();
    expect(resultsByDay([{ id: 'o', counts: {}, queued: 0, fanout_done: false, started_at: '0001-01-01T00:00:00Z' }])).toBeNull();
  });

  it('keeps at most a year of days', () => {
    const r = resultsByDay([
      { id: 'a', counts: { sent: 1 }, queued: 1, fanout_done: true, started_at: '2024-01-01T00:00:00Z' },
      { id: 'b', counts: { sent: 1 }, queued: 1, fanout_done: true, started_at: '2026-01-01T00:00:00Z' },
    ])!;
    expect(r.days).toHaveLength(366);
    expect(r.days.at(-1)).toBe('2026-01-01');
  });
});
