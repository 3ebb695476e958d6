import { useInfiniteQuery } from '@tanstack/react-query';
import { useApi } from '@/lib/session';
import type { AuditPage } from '@/types/api';

export function useAudit(filter: { kind?: string; actorId?: string }) {
  const api = useApi();
  return useInfiniteQuery({
    queryKey: ['audit', filter],
    initialPageParam: '',
    queryFn: ({ pageParam }) =>
      api<AuditPage>('/v1/audit', { query: { kind: filter.kind, actor_id: filter.actorId, before: pageParam || undefined, limit: '50' } }),
    getNextPageParam: (last) => last.next,
  });
}
