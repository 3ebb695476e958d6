import { useEffect, useState } from 'react';
import type { SegmentFilter } from '@/types/api';

export type Parsed = { filter: SegmentFilter; error?: undefined } | { filter: null; error: string };

/** parseFilter reads the builder's JSON: an object with exactly one key at the top. The server's
 * validator has the last word (it answers the preview with what is wrong). */
export function parseFilter(text: string): Parsed {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { filter: null, error: `Not JSON: ${(e as Error).message}` };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { filter: null, error: 'The filter is a JSON object.' };
  const keys = Object.keys(v);
  if (keys.length !== 1) return { filter: null, error: 'A node has exactly one key: use "all" or "any" to combine conditions.' };
  return { filter: v as SegmentFilter };
}

/** Condition snippets the builder can insert, one per kind (README: filter grammar). */
export const SNIPPETS: Record<string, SegmentFilter> = {
  'Trait equals': { trait: { key: 'country', op: 'equals', value: 'DE' } },
  'Trait in': { trait: { key: 'country', op: 'in', values: ['DE', 'AT', 'CH'] } },
  'Number at least': { trait: { key: 'employees', op: 'gte', value: 50 } },
  'Date in the last N days': { trait: { key: 'trial_started', op: 'within_days', days: 14 } },
  Tag: { tag: 'vip' },
  Score: { score: { kind: 'total', op: 'gte', value: 60 } },
  Stage: { stage: { in: ['mql', 'sql'] } },
  Owner: { owner: { exists: true } },
  Status: { status: { in: ['subscribed'] } },
  Consent: { consent: 'marketing' },
  Topic: { topic: 'product-news' },
  Interest: { interest: { name: 'pricing', min: 2 } },
  'Last seen': { last_seen: { within_days: 30 } },
  Created: { created: { within_days: 7 } },
  'Email opened': { email: { action: 'opened', within_days: 30 } },
  'Viewed pages under': { event: { path_prefix: '/pricing', within_days: 7, min: 2 } },
  'Did event': { event: { name: 'Demo Requested', within_days: 30 } },
  'Did not do event': { event: { name: 'Demo Requested', within_days: 30, max: 0 } },
  'In segment': { segment: 'pricing-visitors' },
  'On list': { list: 'newsletter' },
};

/** addCondition puts a condition into the filter's top-level "all" (wrapping what is there). */
export function addCondition(f: SegmentFilter | null, c: SegmentFilter): SegmentFilter {
  if (!f) return { all: [c] };
  if (Array.isArray(f.all)) return { all: [...(f.all as SegmentFilter[]), c] };
  return { all: [f, c] };
}

/** useDebounced gives value once it has stopped changing for ms. */
export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}
