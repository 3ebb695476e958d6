import { useQuery } from '@tanstack/react-query';
import { useApi } from '@/lib/session';

export interface RescoreRun {
  kind: string;
  id: string;
  shards: number;
  shards_done: number;
  contacts_visited: number;
  contacts_changed: number;
  started_at: string;
  updated_at: string;
}

/** GET /v1/scoring/rescore: how many contacts a model change re-scores, and the run of the model in force. */
export interface RescoreProgress {
  model_version: string;
  contacts: number;
  contacts_capped: boolean;
  run: RescoreRun | null;
  done?: boolean;
}

/** Polls every 2 s while a re-score runs, never once it is done. */
export function useRescoreProgress() {
  const api = useApi();
  return useQuery({
    queryKey: ['rescore'],
    queryFn: () => api<RescoreProgress>('/v1/scoring/rescore'),
    refetchInterval: (q) => (q.state.data?.run && !q.state.data.done ? 2000 : false),
  });
}
