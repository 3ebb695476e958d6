// Positions and line diffs in editor text.
import type { DefinitionProblem } from '@/types/api';

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

/**
 * A problem in words. in names the text the position counts in when an
 * editor has several ("html, line 2, column 7: ..."); withField names the
 * field of a problem without a position.
 */
export function describeProblem(p: Pick<DefinitionProblem, 'line' | 'column' | 'message' | 'field'>, withField = false, within?: string): string {
  if (p.line) return `${within ? `${within}, line` : 'Line'} ${p.line}, column ${p.column ?? 1}: ${p.message}`;
  return `${withField && p.field ? `${p.field}: ` : ''}${p.message}`;
}

export type DiffLine = { op: ' ' | '+' | '-'; text: string };

/**
 * Line diff of a against b (what turns a into b), by longest common
 * subsequence. Definitions are short (a few hundred lines); past 2,000
 * lines it shows all of a removed and all of b added rather than spend
 * the time.
 */
export function diffLines(a: string, b: string): DiffLine[] {
  const x = a.split('\n');
  const y = b.split('\n');
  if (x.length * y.length > 4_000_000) return [...x.map((t) => ({ op: '-' as const, text: t })), ...y.map((t) => ({ op: '+' as const, text: t }))];
  const n = x.length;
  const m = y.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) {
      out.push({ op: ' ', text: x[i] });
      i++;
      j++;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) out.push({ op: '-', text: x[i++] });
    else out.push({ op: '+', text: y[j++] });
  }
  while (i < n) out.push({ op: '-', text: x[i++] });
  while (j < m) out.push({ op: '+', text: y[j++] });
  return out;
}
