import { describe, expect, it } from 'vitest';
import { describeProblem, diffLines, offsetOf } from './text';

describe('editor text', () => {
  it('finds a 1-based line and column in the source', () => {
    const html = '<p>\n  {{ contact.name }\n</p>';
    expect(html.slice(offsetOf(html, 2, 3))).toMatch(/^\{\{ contact/);
    expect(offsetOf(html, 9, 1)).toBe(html.length);
  });
  it('says where a problem is', () => {
    expect(describeProblem({ field: 'html', line: 2, column: 3, message: 'unclosed action' })).toBe('Line 2, column 3: unclosed action');
    expect(describeProblem({ field: 'from.address', message: 'required' }, true)).toBe('from.address: required');
    expect(describeProblem({ field: 'html', line: 2, column: 3, message: 'unclosed action' }, false, 'html')).toBe('html, line 2, column 3: unclosed action');
  });
  it('diffs by line', () => {
    const d = diffLines('a\nb\nc', 'a\nx\nc\nd');
    expect(d).toEqual([
      { op: ' ', text: 'a' },
      { op: '-', text: 'b' },
      { op: '+', text: 'x' },
      { op: ' ', text: 'c' },
      { op: '+', text: 'd' },
    ]);
    expect(diffLines('same', 'same').every((l) => l.op === ' ')).toBe(true);
  });
});
