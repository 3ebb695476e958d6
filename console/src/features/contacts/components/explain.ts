import type { ScorePoint } from '@/types/api';

/** "+10 pricing (engagement), +15 title (fit, capped)": what moved a point. */
export function explainPoint(p: ScorePoint): string {
  return p.changes
    .map((c) => `${c.points > 0 ? '+' : ''}${c.points} ${c.rule_id} (${c.kind}${c.capped ? ', capped' : ''})`)
    .join(', ');
}

