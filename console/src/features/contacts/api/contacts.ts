import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '@/lib/session';
import type { ContactList, ContactView, ScoreView, Stage, Contact, TimelinePage, Erasure, MessagePage } from '@/types/api';

export type SearchBy = 'email' | 'tag' | 'trait' | 'recent';

export interface ContactSearch {
  by: SearchBy;
  value: string;
}

function searchQuery(s: ContactSearch): Record<string, string> {
  switch (s.by) {
    case 'email':
      return { email: s.value };
    case 'tag':
      return { tag: s.value };
    case 'trait': {
      const [k, ...rest] = s.value.split('=');
      return { [`trait.${k.trim()}`]: rest.join('=').trim() };
    }
    default:
      return {};
  }
}

export function useContactSearch(s: ContactSearch) {
  const api = useApi();
  return useQuery({
    queryKey: ['contacts', s],
    queryFn: () => api<ContactList>('/v1/contacts', { query: { ...searchQuery(s), limit: '50' } }),
  });
}

export function useContact(id: string) {
  const api = useApi();
  return useQuery({ queryKey: ['contact', id], queryFn: () => api<ContactView>(`/v1/contacts/${encodeURIComponent(id)}`, { query: { events: '1' } }) });
}

export function useContactScore(id: string) {
  const api = useApi();
  return useQuery({ queryKey: ['contact', id, 'score'], queryFn: () => api<ScoreView>(`/v1/contacts/${encodeURIComponent(id)}/score`) });
}

export function useChangeStage(id: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { stage: Stage; reason: string }) => api<Contact>(`/v1/contacts/${encodeURIComponent(id)}/stage`, { method: 'PUT', body: v }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['contact', id] }),
  });
}

export function useAddTag(id: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (tag: string) => api<Contact>(`/v1/contacts/${encodeURIComponent(id)}/tags`, { method: 'POST', body: { tags: [tag] } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['contact', id] }),
  });
}

export const TIMELINE_PAGE = 25;

/** The contact's timeline, newest first, a page at a time (cursor: next_before). */
export function useTimeline(id: string) {
  const api = useApi();
  return useInfiniteQuery({
    queryKey: ['contact', id, 'timeline'],
    queryFn: ({ pageParam }) =>
      api<TimelinePage>(`/v1/contacts/${encodeURIComponent(id)}/timeline`, { query: { limit: String(TIMELINE_PAGE), before: pageParam } }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_before,
  });
}

/** Unsubscribes from all marketing: the admin API only sets status to "unsubscribed". */
export function useUnsubscribe(id: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => api<Contact>(`/v1/contacts/${encodeURIComponent(id)}`, { method: 'PATCH', body: { status: 'unsubscribed' } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['contact', id] }),
  });
}

/** Fetches the contact's export and hands it to the browser as a JSON file. */
export function useExport(id: string) {
  const api = useApi();
  return useMutation({
    mutationFn: async () => {
      const data = await api<unknown>(`/v1/contacts/${encodeURIComponent(id)}/export`);
      const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `contact-${id}.json`;
      document.body.append(a);
      a.click();
      a.remove();
      // Revoke later: some browsers start the download after click returns.
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    },
  });
}

/** Erases the contact and everything merged into it; the cached copies go too. */
export function useErase(id: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => api<Erasure>(`/v1/contacts/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: () => {
      qc.removeQueries({ queryKey: ['contact', id] });
      return qc.invalidateQueries({ queryKey: ['contacts'] });
    },
  });
}

export const MESSAGES_PAGE = 10;

/** The sends to the contact, newest first, a page at a time (cursor: next). */
export function useMessages(id: string) {
  const api = useApi();
  return useInfiniteQuery({
    queryKey: ['contact', id, 'messages'],
    queryFn: ({ pageParam }) =>
      api<MessagePage>(`/v1/contacts/${encodeURIComponent(id)}/messages`, { query: { limit: String(MESSAGES_PAGE), cursor: pageParam } }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next,
  });
}
