import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '@/lib/session';
import type { Invitation, Role, User } from '@/types/api';

export function useUsers() {
  const api = useApi();
  return useQuery({ queryKey: ['users'], queryFn: () => api<{ users: User[] }>('/v1/users') });
}

export function useInvite() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { email: string; role: Role }) => api<Invitation>('/v1/users', { method: 'POST', body: v }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['users'] }),
  });
}

export function useSetRole() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { id: string; role: Role }) => api<User>(`/v1/users/${encodeURIComponent(v.id)}`, { method: 'PATCH', body: { role: v.role } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['users'] }),
  });
}

export function useDisable() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api<User>(`/v1/users/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['users'] }),
  });
}
