import { describe, expect, it } from 'vitest';
import type { Journey, JourneyMark } from '@/types/api';
import { LAYOUT_X, LAYOUT_Y, TRIGGER, buildGraph, countsFor, edgeCounts, layout, mapHeight, problemsByStep, totalsOf, visitedOf } from './graph';

const j: Journey = {
  name: 'x',
  status: 'live',
  trigger: { kind: 'event', event: 'Signed Up' },
  start: 'a',
  steps: [
    { id: 'a', kind: 'wait', wait: { event: 'Demo Booked', timeout: '3d', timeout_next: 'c' }, next: 'b' },
    { id: 'b', kind: 'split', split: [{ name: 'x', percent: 50, next: 'c' }, { name: 'y', percent: 50, next: 'd' }] },
    { id: 'c', kind: 'branch', branch: { cases: [{ name: 'hot', condition: { score: { gte: 50 } }, next: 'd' }], else: '' } },
    { id: 'd', kind: 'exit' },
    { id: 'lost', kind: 'email', email: { template: 't' } },
  ],
};

const mark = (run: string, step: string): JourneyMark => ({ at: '2026-01-01T00:00:00Z', journey: 'x', version: 1, run, step, kind: 'k', note: '' });

describe('buildGraph', () => {
  it('makes a node per step plus the trigger, layered from the start, unreachable steps last', () => {
    const g = buildGraph(j);
    expect(g.nodes.map((n) => [n.id, n.layer])).toEqual([[TRIGGER, 0], ['a', 1], ['b', 2], ['c', 2], ['d', 3], ['lost', 4]]);
    expect(g.edges.map((e) => `${e.source}->${e.target} ${e.label ?? ''}`.trim())).toEqual([
      `${TRIGGER}->a`,
      'a->b Demo Booked',
      'a->c timeout 3d',
      'b->c x 50%',
      'b->d y 50%',
      'c->d hot',
    ]);
  });

  it('draws nothing but the trigger for a text that is no journey', () => {
    expect(buildGraph(null).nodes).toHaveLength(1);
    expect(buildGraph({ ...j, steps: 'nope' as never }).edges).toEqual([]);
  });
});

describe('layout', () => {
  it('goes top to bottom a layer a band, with a band centred', () => {
    const at = layout(buildGraph(j).nodes);
    expect(at.get(TRIGGER)).toEqual({ x: 0, y: 0 });
    expect(at.get('a')).toEqual({ x: 0, y: LAYOUT_Y });
    // b and c share layer 2: side by side around the middle.
    expect(at.get('b')).toEqual({ x: -LAYOUT_X / 2, y: 2 * LAYOUT_Y });
    expect(at.get('c')).toEqual({ x: LAYOUT_X / 2, y: 2 * LAYOUT_Y });
    expect(at.get('lost')?.y).toBe(4 * LAYOUT_Y);
  });

  it('makes the map tall enough for a long path, within bounds', () => {
    const linear = (n: number): Journey => ({
      ...j,
      start: 's0',
      steps: Array.from({ length: n }, (_, i) => ({ id: `s${i}`, kind: 'wait', wait: { for: '1d' }, next: i + 1 < n ? `s${i + 1}` : undefined })),
    });
    expect(mapHeight(buildGraph(linear(1)).nodes)).toBe(420);
    expect(mapHeight(buildGraph(linear(6)).nodes)).toBe(7 * LAYOUT_Y + 60);
    expect(mapHeight(buildGraph(linear(40)).nodes)).toBe(1400);
  });
});

describe('problemsByStep', () => {
  it('puts problems on their step from the 422 field or the "step <id>:" message, the rest on the journey', () => {
    const m = problemsByStep(
      [
        { step: 'c', message: 'condition cannot be evaluated' },
        { in: 'definition', message: 'step lost: unreachable from the start' },
        { in: 'definition', message: 'step ghost: no such step' },
        { message: 'start is missing' },
      ],
      ['a', 'b', 'c', 'lost'],
    );
    expect(m.get('c')).toEqual(['condition cannot be evaluated']);
    expect(m.get('lost')).toEqual(['unreachable from the start']);
    expect(m.get('')).toEqual(['step ghost: no such step', 'start is missing']);
    expect(m.get('a')).toBeUndefined();
  });
});

describe('visitedOf', () => {
  it('collects the steps and edges a simulated path took, per run', () => {
    const v = visitedOf([mark('r1', 'a'), mark('r1', 'a'), mark('r1', 'b'), mark('r1', 'd'), mark('r2', 'a'), mark('r2', 'c')]);
    expect([...v.steps].sort()).toEqual([TRIGGER, 'a', 'b', 'c', 'd'].sort());
    expect([...v.edges].sort()).toEqual([`${TRIGGER}->a`, 'a->b', 'a->c', 'b->d'].sort());
    // Each visited edge is one the map draws (same source->target key).
    const drawn = new Set(buildGraph(j).edges.map((e) => `${e.source}->${e.target}`));
    for (const e of v.edges) expect(drawn.has(e)).toBe(true);
    expect(v.edges.has('b->c')).toBe(false);
  });
});

describe('counts', () => {
  const nodes = [
    { version: 1, step: '', entered: 4, waiting: 0, moved_on: 0, converted: 0, exited: 0, completed: 0, stopped: 0 },
    { version: 2, step: '', entered: 6, waiting: 0, moved_on: 0, converted: 0, exited: 0, completed: 0, stopped: 0 },
    { version: 1, step: 'a', entered: 4, waiting: 1, moved_on: 2, converted: 1, exited: 0, completed: 0, stopped: 0 },
    { version: 2, step: 'a', entered: 6, waiting: 5, moved_on: 1, converted: 0, exited: 0, completed: 0, stopped: 0 },
  ];
  it('sums versions or picks one', () => {
    expect(countsFor(nodes, null).get('a')?.waiting).toBe(6);
    expect(countsFor(nodes, 1).get('a')?.waiting).toBe(1);
    expect(countsFor(nodes, 3).size).toBe(0);
    expect(totalsOf(nodes)).toEqual({ entries: 10, active: 6, converted: 1 });
  });
});

describe('edgeCounts', () => {
  const c = (step: string, entered: number, moved_on: number, completed = 0) =>
    ({ version: 1, step, entered, waiting: 0, moved_on, converted: 0, exited: 0, completed, stopped: 0 }) as const;
  it('counts the start edge, single ways on and single ways in, and leaves the rest unknown', () => {
    const g = buildGraph(j);
    // 10 entered; a: 4 got the event (to b), 5 timed out (to c), 1 waits; b: 2/2; c: 3 of 7 to d.
    const counts = countsFor([c('', 10, 0), c('a', 10, 9), c('b', 4, 4), c('c', 7, 3), c('d', 5, 0, 5)], null);
    const got = Object.fromEntries([...edgeCounts(g.edges, counts)].map(([id, n]) => [id.replace(/:.*/, ''), n]));
    expect(got).toEqual({
      [`${TRIGGER}->a`]: 10, // the journey's entries
      'a->b': 4, // b's only way in
      // a->c (timeout): c is also reached from b, a has two ways on: unknown.
      'c->d': 3, // c's only way on (its else goes nowhere)
      // b->c and b->d: two ways on, both targets reached twice: unknown.
    });
  });

  it('uses the own edge counts of the API when it has them, branches included, per version', () => {
    const g = buildGraph(j);
    const counted = [
      { version: 1, from: '', to: 'a', n: 10 },
      { version: 1, from: 'a', to: 'c', n: 5 },
      { version: 2, from: 'a', to: 'c', n: 2 },
      { version: 1, from: 'b', to: 'd', n: 1 },
    ];
    const got = (v: number | null) => Object.fromEntries([...edgeCounts(g.edges, new Map(), counted, v)].map(([id, n]) => [id.replace(/:.*/, ''), n]));
    expect(got(null)).toEqual({ [`${TRIGGER}->a`]: 10, 'a->b': 0, 'a->c': 7, 'b->c': 0, 'b->d': 1, 'c->d': 0 });
    expect(got(2)['a->c']).toBe(2);
  });

  it('says nothing before anything was counted', () => {
    expect(edgeCounts(buildGraph(j).edges, new Map()).size).toBe(0);
  });

  it('counts an edge into a step nobody reached yet as zero', () => {
    const lin: Journey = { ...j, start: 'a', steps: [{ id: 'a', kind: 'email', email: { template: 't' }, next: 'b' }, { id: 'b', kind: 'exit' }] };
    const g = buildGraph(lin);
    const counts = countsFor([c('', 2, 0), c('a', 2, 0)], null);
    expect([...edgeCounts(g.edges, counts).values()]).toEqual([2, 0]);
  });
});
