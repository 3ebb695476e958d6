import { describe, expect, it } from 'vitest';
import { guess, parseHeader } from './header';

describe('parseHeader', () => {
  it('reads the first record with quotes, doubled quotes and a BOM', () => {
    expect(parseHeader('\uFEFFEmail,"First, name","Say ""hi""",Tags\r\na@x.test,A,,\n')).toEqual(['Email', 'First, name', 'Say "hi"', 'Tags']);
    expect(parseHeader('"multi\nline",b\nx,y')).toEqual(['multi\nline', 'b']);
    expect(parseHeader('')).toEqual([]);
  });
  it('guesses columns by name', () => {
    expect(guess(['Name', 'E-Mail', 'Opt-in'], 'email')).toBe('E-Mail');
    expect(guess(['Name'], 'email')).toBe('');
  });
});
