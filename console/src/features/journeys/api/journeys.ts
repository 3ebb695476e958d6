// The journeys' own routes (the definition itself goes through the
// registry's /v1/definitions/journeys routes, like every kind).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '@/lib/session';
import { definitionKey } from '@/components/definitions';
import type { DefinitionView, Journey, JourneySimulation, JourneySteps } from '@/types/api';

const path = (id: string) => `/v1/journeys/${encodeURIComponent(id)}`;

/** GET /v1/journeys answers as the registry lists a kind. */
export function useJourneys() {
  const api = useApi();
  return useQuery({
    queryKey: ['journeys'],
    queryFn: () => api<{ definitions?: DefinitionView<Journey>[]; journeys?: DefinitionView<Journey>[] }>('/v1/journeys'),
    select: (d) => d.definitions ?? d.journeys ?? [],
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
