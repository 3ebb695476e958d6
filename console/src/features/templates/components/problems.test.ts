import { describe, expect, it } from 'vitest';
import { describeProblem, offsetOf } from './problems';

describe('template problems', () => {
  it('finds a 1-based line and column in the source', () => {
    const html = '<p>\n  {{ contact.name }\n</p>';
    expect(html.slice(offsetOf(html, 2, 3))).toMatch(/^\{\{ contact/);
    expect(offsetOf(html, 9, 1)).toBe(html.length);
  });
  it('says where a problem is', () => {
    expect(describeProblem({ field: 'html', line: 2, column: 3, message: 'unclosed action' })).toBe('html, line 2, column 3: unclosed action');
    expect(describeProblem({ field: 'from.address', message: 'required' })).toBe('from.address: required');
  });
});
