import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '@/lib/session';
import type { ContactList, ContactView, ScoreView, Stage, Contact } from '@/types/api';

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
  return useQuery({ queryKey: ['contact', id], queryFn: () => api<ContactView>(`/v1/contacts/${encodeURIComponent(id)}`, { query: { events: '25' } }) });
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
