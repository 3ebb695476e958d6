import { describe, expect, it } from 'vitest';
import { timeRange } from './time-range';

describe('timeRange', () => {
  it('widens a single point or points minutes apart to a day around them, and keeps a longer span', () => {
    const t = Date.parse('2026-12-08T01:56:00Z') / 1000;
    expect(timeRange(t, t)).toEqual([t - 43_200, t + 43_200]);
    expect(timeRange(t, t + 600)).toEqual([t + 300 - 43_200, t + 300 + 43_200]);
    expect(timeRange(t, t + 3 * 86_400)).toEqual([t, t + 3 * 86_400]);
  });
});
