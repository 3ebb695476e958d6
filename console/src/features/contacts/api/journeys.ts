// A contact's journey runs (GET /v1/contacts/{id}/journeys) and stopping one.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '@/lib/session';
import type { JourneyRun } from '@/types/api';

const path = (id: string) => `/v1/contacts/${encodeURIComponent(id)}/journeys`;

export function useContactJourneys(id: string) {
  const api = useApi();
  return useQuery({ queryKey: ['contact-journeys', id], queryFn: () => api<{ contact_id: string; runs: JourneyRun[] }>(path(id)) });
}

export function useStopRun(id: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (runId: string) => api<{ status: string }>(`${path(id)}/${encodeURIComponent(runId)}/stop`, { method: 'POST' }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['contact-journeys', id] }),
  });
}
