import { describe, expect, it } from 'vitest';
import { addCondition, parseFilter, SNIPPETS } from './filter';

describe('parseFilter', () => {
  it('accepts one-key objects and explains the rest', () => {
    expect(parseFilter('{"tag":"vip"}').filter).toEqual({ tag: 'vip' });
    expect(parseFilter('{"tag":').error).toMatch(/Not JSON/);
    expect(parseFilter('[1]').error).toMatch(/object/);
    expect(parseFilter('{"tag":"a","list":"b"}').error).toMatch(/exactly one key/);
  });
});

describe('addCondition', () => {
  it('starts, extends and wraps an all', () => {
    expect(addCondition(null, { tag: 'a' })).toEqual({ all: [{ tag: 'a' }] });
    expect(addCondition({ all: [{ tag: 'a' }] }, { tag: 'b' })).toEqual({ all: [{ tag: 'a' }, { tag: 'b' }] });
    expect(addCondition({ any: [{ tag: 'a' }] }, { tag: 'b' })).toEqual({ all: [{ any: [{ tag: 'a' }] }, { tag: 'b' }] });
  });
  it('has a snippet for every condition kind', () => {
    const kinds = new Set(Object.values(SNIPPETS).map((s) => Object.keys(s)[0]));
    for (const k of ['trait', 'tag', 'score', 'stage', 'owner', 'status', 'consent', 'topic', 'interest', 'last_seen', 'created', 'email', 'event', 'segment', 'list']) {
      expect(kinds.has(k)).toBe(true);
    }
  });
});
