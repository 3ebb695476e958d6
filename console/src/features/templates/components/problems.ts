import type { TemplateProblem } from '@/types/api';

/** Character offset of a 1-based line and column in text (for selecting a problem). */
export function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', offset);
    if (nl < 0) return text.length;
    offset = nl + 1;
  }
  return Math.min(offset + Math.max(column - 1, 0), text.length);
}

export function describeProblem(p: TemplateProblem): string {
  return p.line ? `${p.field}, line ${p.line}, column ${p.column}: ${p.message}` : `${p.field}: ${p.message}`;
}
