// The journeys' own routes (the definition itself goes through the
// registry's /v1/definitions/journeys routes, like every kind).
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '@/lib/session';
import { definitionKey } from '@/components/definitions';
import type { DefinitionView, Journey, JourneySimulation, JourneyStepContacts, JourneySteps } from '@/types/api';

const path = (id: string) => `/v1/journeys/${encodeURIComponent(id)}`;

/**
 * GET /v1/journeys answers each journey's fields at the top level, beside
 * the registry's (version, source, etag…); the common definition routes
 * wrap them in `definition`. Either way the page gets DefinitionViews.
 */
export function toDefinitionViews(d: { definitions?: unknown[]; journeys?: unknown[] }): DefinitionView<Journey>[] {
  return (d.definitions ?? d.journeys ?? []).map((e) => {
    const v = e as DefinitionView<Journey> & Journey;
    return v.definition && typeof v.definition === 'object' ? v : ({ ...v, kind: 'journeys', definition: v } as DefinitionView<Journey>);
  });
}

export function useJourneys() {
  const api = useApi();
  return useQuery({
    queryKey: ['journeys'],
    queryFn: () => api<{ definitions?: unknown[]; journeys?: unknown[] }>('/v1/journeys'),
    select: toDefinitionViews,
  });
}

export function useJourneySteps(id: string) {
  const api = useApi();
  return useQuery({ queryKey: ['journey-steps', id], queryFn: () => api<JourneySteps>(`${path(id)}/steps`), refetchInterval: 30_000 });
}

export type JourneyAction = 'publish' | 'pause' | 'resume';

export function useJourneyAction(id: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ action, onNewVersion }: { action: JourneyAction; onNewVersion?: string }) =>
      api<{ id: string; status: string; version: number }>(`${path(id)}/${action}`, {
        method: 'POST',
        body: action === 'publish' && onNewVersion ? { on_new_version: onNewVersion } : {},
      }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: definitionKey('journeys', id) });
      void qc.invalidateQueries({ queryKey: ['versions', 'journeys', id] });
      void qc.invalidateQueries({ queryKey: ['journeys'] });
    },
  });
}

/** Runs the journey (or the draft sent along) over a timeline on a virtual clock; nothing is sent. */
export function useSimulate(id: string) {
  const api = useApi();
  return useMutation({
    mutationFn: (body: { timeline?: unknown; contact_id?: string; definition?: unknown }) => api<JourneySimulation>(`${path(id)}/simulate`, { method: 'POST', body }),
  });
}

/**
 * The contacts whose active run rests at a step of a version (null: the
 * version in effect), soonest wake first (held runs last), a page at a time by cursor.
 */
export function useStepContacts(id: string, step: string, version: number | null) {
  const api = useApi();
  return useInfiniteQuery({
    queryKey: ['journey-step-contacts', id, step, version],
    queryFn: ({ pageParam }) =>
      api<JourneyStepContacts>(`${path(id)}/steps/${encodeURIComponent(step)}/contacts`, {
        query: { version: version === null ? undefined : String(version), cursor: pageParam || undefined },
      }),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_cursor || undefined,
  });
}
