// The journey map's model, kept free of the drawing library so it can be
// tested alone: steps become nodes laid out in layers from the start, the
// next/branch/split/timeout references become labelled edges, validator
// problems and a simulated path are attached to the nodes they concern.
import type { Journey, JourneyMark, JourneyProblem, JourneyStep, JourneyStepSummary, DefinitionProblem } from '@/types/api';

export interface MapEdge {
  id: string;
  source: string;
  target: string;
  label?: string;
}

export interface MapNode {
  id: string;
  step: JourneyStep;
  /** Layer (distance from the start) and place within the layer. */
  layer: number;
  row: number;
}

export const TRIGGER = '__trigger';

export function edgesOf(step: JourneyStep): MapEdge[] {
  const out: MapEdge[] = [];
  const add = (target: string | undefined, label?: string) => {
    if (target) out.push({ id: `${step.id}->${target}:${label ?? ''}`, source: step.id, target, label });
  };
  step.branch?.cases?.forEach((c) => add(c.next, c.name || 'case'));
  if (step.branch) add(step.branch.else, 'else');
  step.split?.forEach((a) => add(a.next, `${a.name || 'arm'} ${a.percent}%`));
  if (step.wait?.event) {
    add(step.next, step.wait.event);
    add(step.wait.timeout_next, `timeout ${step.wait.timeout ?? ''}`.trim());
  } else {
    add(step.next);
  }
  return out;
}

/** Nodes (the trigger first, then steps by breadth-first layer from the start) and edges. */
export function buildGraph(j: Journey | null | undefined): { nodes: MapNode[]; edges: MapEdge[] } {
  const steps = Array.isArray(j?.steps) ? j.steps.filter((s) => s && typeof s.id === 'string') : [];
  const byId = new Map(steps.map((s) => [s.id, s]));
  const layer = new Map<string, number>();
  const queue: string[] = [];
  if (j?.start && byId.has(j.start)) {
    layer.set(j.start, 1);
    queue.push(j.start);
  }
  while (queue.length) {
    const id = queue.shift()!;
    for (const e of edgesOf(byId.get(id)!)) {
      if (byId.has(e.target) && !layer.has(e.target)) {
        layer.set(e.target, layer.get(id)! + 1);
        queue.push(e.target);
      }
    }
  }
  // Unreachable steps still show (the validator's problem sits on them), in a last layer.
  const last = Math.max(1, ...layer.values()) + 1;
  const rows = new Map<number, number>();
  const trigger: JourneyStep = { id: TRIGGER, kind: 'trigger' };
  const nodes: MapNode[] = [{ id: TRIGGER, step: trigger, layer: 0, row: 0 }];
  for (const s of steps) {
    const l = layer.get(s.id) ?? last;
    const row = rows.get(l) ?? 0;
    rows.set(l, row + 1);
    nodes.push({ id: s.id, step: s, layer: l, row });
  }
  const edges = steps.flatMap(edgesOf).filter((e) => byId.has(e.target));
  if (j?.start && byId.has(j.start)) edges.unshift({ id: `${TRIGGER}->${j.start}`, source: TRIGGER, target: j.start });
  return { nodes, edges };
}

/** Spacing of the map's layout: between steps side by side, and between layers. */
export const LAYOUT_X = 230;
export const LAYOUT_Y = 150;

/**
 * Where each node is drawn: top to bottom, one band per layer (distance
 * from the start), a band's steps side by side around the middle. A long
 * nurture path then reads down the page near full size, where one row
 * left to right had to shrink to fit the map's width.
 */
export function layout(nodes: MapNode[]): Map<string, { x: number; y: number }> {
  const perLayer = new Map<number, number>();
  for (const n of nodes) perLayer.set(n.layer, (perLayer.get(n.layer) ?? 0) + 1);
  return new Map(nodes.map((n) => [n.id, { x: (n.row - ((perLayer.get(n.layer) ?? 1) - 1) / 2) * LAYOUT_X, y: n.layer * LAYOUT_Y }]));
}

/** The map's height in pixels: room for every layer near full size, within bounds. */
export function mapHeight(nodes: MapNode[]): number {
  const layers = nodes.length ? Math.max(...nodes.map((n) => n.layer)) + 1 : 1;
  return Math.min(1400, Math.max(420, layers * LAYOUT_Y + 60));
}

/** A one-line description of what a step does, for its node. */
export function describeStep(s: JourneyStep, j?: Journey | null): string {
  switch (s.kind) {
    case 'trigger': {
      const t = j?.trigger;
      if (!t) return 'trigger';
      const what = t.event ?? t.form ?? t.segment ?? t.stage ?? t.trait ?? (t.score !== undefined ? `score ≥ ${t.score}` : '');
      return `${t.kind}${what ? `: ${what}` : ''}`;
    }
    case 'email':
      return `send ${s.email?.template ?? '?'}`;
    case 'wait': {
      const w = s.wait ?? {};
      if (w.event) return `until ${w.event}${w.timeout ? ` (at most ${w.timeout})` : ''}`;
      if (w.weekdays?.length) return `until ${w.weekdays.join('/')} ${w.at ?? ''}`.trim();
      return `for ${w.for ?? '?'}`;
    }
    case 'branch':
      return `${s.branch?.cases?.length ?? 0} case(s)${s.branch?.else ? ' + else' : ''}`;
    case 'split':
      return `${s.split?.length ?? 0} arms`;
    case 'notify':
      return s.notify?.event ?? 'webhook';
    default:
      return s.kind;
  }
}

/**
 * Problems per step: the 422 answer's problems carry their step; the
 * validate-only API's messages start with "step <id>: ". Problems naming no
 * known step are the journey's own (key "").
 */
export function problemsByStep(
  problems: (JourneyProblem | DefinitionProblem)[] | undefined,
  stepIds: Iterable<string>,
): Map<string, string[]> {
  const known = new Set(stepIds);
  const out = new Map<string, string[]>();
  const add = (k: string, m: string) => out.set(k, [...(out.get(k) ?? []), m]);
  for (const p of problems ?? []) {
    let step = 'step' in p && p.step ? p.step : '';
    let message = p.message;
    if (!step) {
      const m = /^step ([^\s:]+):\s*(.*)$/.exec(p.message);
      if (m) [, step, message] = m as unknown as [string, string, string];
    }
    add(step && known.has(step) ? step : '', step && !known.has(step) ? p.message : message);
  }
  return out;
}

/** The steps and edges a simulated path visited, for highlighting. */
export function visitedOf(path: JourneyMark[] | undefined): { steps: Set<string>; edges: Set<string> } {
  const steps = new Set<string>();
  const edges = new Set<string>();
  let prev: string | null = null;
  let run = '';
  for (const m of path ?? []) {
    if (m.run !== run) {
      prev = TRIGGER;
      run = m.run;
    }
    if (!m.step) continue;
    steps.add(m.step);
    if (prev && prev !== m.step) edges.add(`${prev}->${m.step}`);
    prev = m.step;
  }
  if (steps.size) steps.add(TRIGGER);
  return { steps, edges };
}

/** Counts per step of one version (all versions summed when version is null). */
export function countsFor(nodes: JourneyStepSummary[] | undefined, version: number | null): Map<string, JourneyStepSummary> {
  const out = new Map<string, JourneyStepSummary>();
  for (const n of nodes ?? []) {
    if (version !== null && n.version !== version) continue;
    const c = out.get(n.step);
    if (!c) {
      out.set(n.step, { ...n });
      continue;
    }
    for (const k of ['entered', 'waiting', 'moved_on', 'converted', 'exited', 'completed', 'stopped'] as const) c[k] += n[k];
  }
  return out;
}

/** The whole journey's entries, active runs and conversions (from the step "" counters and the steps'). */
export function totalsOf(nodes: JourneyStepSummary[] | undefined): { entries: number; active: number; converted: number } {
  let entries = 0;
  let active = 0;
  let converted = 0;
  for (const n of nodes ?? []) {
    if (n.step === '') entries += n.entered;
    else {
      active += n.waiting;
      converted += n.converted;
    }
  }
  return { entries, active, converted };
}

/**
 * How many runs went along each edge, where the step counters say so
 * exactly (GET /v1/journeys/{id}/steps counts per step, not per edge): the
 * start edge carries the journey's entries; an edge that is its source's
 * only way on carries everyone who moved on from there; an edge that is its
 * target's only way in carries everyone who entered the target. A branch
 * or split arm into a step that is also reached another way stays unknown
 * (absent from the map).
 */
export function edgeCounts(
  edges: MapEdge[],
  counts: Map<string, JourneyStepSummary>,
  counted?: { version: number; from: string; to: string; n: number }[],
  version: number | null = null,
): Map<string, number> {
  const out = new Map<string, number>();
  if (counted) {
    // The API counts each edge itself: exact for every edge, branches too.
    for (const e of edges) {
      const from = e.source === TRIGGER ? '' : e.source;
      const n = counted.filter((c) => c.from === from && c.to === e.target && (version === null || c.version === version)).reduce((a, c) => a + c.n, 0);
      out.set(e.id, n);
    }
    return out;
  }
  if (counts.size === 0) return out; // nothing counted yet (or still loading)
  const outgoing = new Map<string, number>();
  const incoming = new Map<string, number>();
  for (const e of edges) {
    outgoing.set(e.source, (outgoing.get(e.source) ?? 0) + 1);
    incoming.set(e.target, (incoming.get(e.target) ?? 0) + 1);
  }
  for (const e of edges) {
    const src = counts.get(e.source === TRIGGER ? '' : e.source);
    const dst = counts.get(e.target);
    if (e.source === TRIGGER) {
      if (src) out.set(e.id, src.entered);
    } else if (outgoing.get(e.source) === 1 && src) {
      out.set(e.id, Math.max(0, src.moved_on - src.completed));
    } else if (incoming.get(e.target) === 1) {
      // No counter for the target: nobody entered it yet.
      out.set(e.id, dst?.entered ?? 0);
    }
  }
  return out;
}
