import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '@/lib/session';
import type { ListChange, ListView, MembersPage } from '@/types/api';

const path = (id: string) => `/v1/lists/${encodeURIComponent(id)}`;

export function useLists() {
  const api = useApi();
  return useQuery({ queryKey: ['lists'], queryFn: () => api<{ lists: ListView[] }>('/v1/lists') });
}

export function useCreateList() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, name }: { id: string; name: string }) => api<ListView>(path(id), { method: 'PUT', body: { name } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['lists'] }),
  });
}

export function useListMembers(id: string) {
  const api = useApi();
  return useInfiniteQuery({
    queryKey: ['list-members', id],
    queryFn: ({ pageParam }) => api<MembersPage>(`${path(id)}/members`, { query: { cursor: pageParam || undefined } }),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

/** splitEmails reads a pasted column or comma list of addresses. */
export function splitEmails(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter((s) => s.includes('@'));
}

export function useChangeMembers(id: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ emails, remove }: { emails: string[]; remove?: boolean }) =>
      api<ListChange>(`${path(id)}/members`, { method: remove ? 'DELETE' : 'POST', body: { emails } }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['lists'] });
      void qc.invalidateQueries({ queryKey: ['list-members', id] });
    },
  });
}
