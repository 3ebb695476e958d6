import type { ScorePoint } from '@/types/api';

/** "+10 pricing (engagement), +15 title (fit, capped)": what moved a point. */
export function explainPoint(p: ScorePoint): string {
  return p.changes
    .map((c) => `${c.points > 0 ? '+' : ''}${c.points} ${c.rule_id} (${c.kind}${c.capped ? ', capped' : ''})`)
    .join(', ');
}

/**
 * The time axis's span (Unix seconds) for points from min to max: uPlot
 * stretches a single point (or points minutes apart) over years, so a span
 * under a day is widened to one day centred on the points.
 */
export function timeRange(min: number, max: number): [number, number] {
  const day = 86_400;
  if (max - min >= day) return [min, max];
  const mid = (min + max) / 2;
  return [mid - day / 2, mid + day / 2];
}
