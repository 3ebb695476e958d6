// The campaign routes (README "Campaigns"): the list, one campaign's
// lifecycle actions and results, and the calendar of planned sends. The
// definition itself is read and saved through the one definition editor.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '@/lib/session';
import { ApiError } from '@/lib/api-client';
import type { CalendarAnswer, CampaignAction, CampaignDefinition, CampaignActionAnswer, CampaignResults, CampaignView } from '@/types/api';

const path = (id: string) => `/v1/campaigns/${encodeURIComponent(id)}`;

export function useCampaigns() {
  const api = useApi();
  return useQuery({ queryKey: ['campaigns'], queryFn: () => api<{ campaigns: CampaignView[] }>('/v1/campaigns') });
}

export function useCampaign(id: string) {
  const api = useApi();
  return useQuery({ queryKey: ['campaign', id], queryFn: () => api<CampaignView>(path(id)) });
}

export function useCampaignResults(id: string, enabled = true) {
  const api = useApi();
  return useQuery({
    queryKey: ['campaign-results', id],
    queryFn: () => api<CampaignResults>(`${path(id)}/results`),
    enabled,
    // While it sends, the counters move: poll.
    refetchInterval: (q) => (q.state.data?.state === 'sending' ? 5000 : false),
  });
}

/** Creates a draft; an id already in use is refused rather than overwritten. */
export function useCreateCampaign() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (d: CampaignDefinition) => {
      const taken = await api<CampaignView>(path(d.id)).then(
        () => true,
        (err: unknown) => {
          if (err instanceof ApiError && err.status === 404) return false;
          throw err;
        },
      );
      if (taken) throw new Error(`A campaign with the id ${d.id} exists already.`);
      return api<CampaignView>(path(d.id), { method: 'PUT', body: d });
    },
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['campaigns'] }),
  });
}

function useInvalidateCampaign(id: string) {
  const qc = useQueryClient();
  return () => {
    void qc.invalidateQueries({ queryKey: ['campaign', id] });
    void qc.invalidateQueries({ queryKey: ['campaign-results', id] });
    void qc.invalidateQueries({ queryKey: ['campaigns'] });
    void qc.invalidateQueries({ queryKey: ['calendar'] });
  };
}

export function useCampaignAction(id: string) {
  const api = useApi();
  const done = useInvalidateCampaign(id);
  return useMutation({
    mutationFn: (action: CampaignAction) => api<CampaignActionAnswer>(`${path(id)}/${action}`, { method: 'POST' }),
    onSuccess: done,
  });
}

export function usePickWinner(id: string) {
  const api = useApi();
  const done = useInvalidateCampaign(id);
  return useMutation({
    mutationFn: (w: { occurrence: string; variant: string }) => api(`${path(id)}/winner`, { method: 'POST', body: w }),
    onSuccess: done,
  });
}

export function useCalendar(from: string, to: string) {
  const api = useApi();
  return useQuery({ queryKey: ['calendar', from, to], queryFn: () => api<CalendarAnswer>('/v1/calendar', { query: { from, to } }) });
}
