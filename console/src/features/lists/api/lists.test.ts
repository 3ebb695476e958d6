import { describe, expect, it } from 'vitest';
import { splitEmails } from './lists';

describe('splitEmails', () => {
  it('reads lines, commas and semicolons and drops what is not an address', () => {
    expect(splitEmails('a@x.test\n b@x.test, c@x.test;;nope\n\n')).toEqual(['a@x.test', 'b@x.test', 'c@x.test']);
    expect(splitEmails('')).toEqual([]);
  });
});
