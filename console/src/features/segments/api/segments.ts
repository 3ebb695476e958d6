import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '@/lib/session';
import type { MembersPage, Segment, SegmentFilter, SegmentPreview, SegmentView } from '@/types/api';

const path = (id: string) => `/v1/segments/${encodeURIComponent(id)}`;

export function useSegments() {
  const api = useApi();
  return useQuery({ queryKey: ['segments'], queryFn: () => api<{ segments: SegmentView[] }>('/v1/segments') });
}

export function useSegment(id: string, enabled = true) {
  const api = useApi();
  return useQuery({
    queryKey: ['segment', id],
    queryFn: () => api<SegmentView>(path(id)),
    enabled,
    // While it builds, poll so the count and state fill in.
    refetchInterval: (q) => (q.state.data?.state === 'building' ? 2000 : false),
  });
}

export function useSaveSegment(id: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (s: Omit<Segment, 'id'>) => api<SegmentView>(path(id), { method: 'PUT', body: s }),
    onSuccess: (v) => {
      qc.setQueryData(['segment', id], v);
      void qc.invalidateQueries({ queryKey: ['segments'] });
      void qc.invalidateQueries({ queryKey: ['segment-members', id] });
    },
  });
}

/**
 * The members. version (the segment's state and count) is in the key, so the
 * list is read again when a build ends or the count moves: a new segment can
 * read as ready with no members before its rebuild starts.
 */
export function useSegmentMembers(id: string, enabled = true, version?: string) {
  const api = useApi();
  return useInfiniteQuery({
    queryKey: ['segment-members', id, version],
    queryFn: ({ pageParam }) => api<MembersPage>(`${path(id)}/members`, { query: { cursor: pageParam || undefined } }),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    enabled,
  });
}

/** The live count of an unsaved filter; filter is null while the text does not parse. */
export function useSegmentPreview(filter: SegmentFilter | null, timezone: string) {
  const api = useApi();
  return useQuery({
    queryKey: ['segment-preview', JSON.stringify(filter), timezone],
    queryFn: () => api<SegmentPreview>('/v1/segments/preview', { method: 'POST', body: { filter, ...(timezone ? { timezone } : {}) } }),
    enabled: filter !== null,
    retry: false,
  });
}
