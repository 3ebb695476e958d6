import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '@/lib/session';
import type { Template, TemplateEntry, TemplatePreview, TemplateView } from '@/types/api';

export function useTemplates() {
  const api = useApi();
  return useQuery({ queryKey: ['templates'], queryFn: () => api<{ templates: TemplateEntry[] }>('/v1/templates') });
}

export function useTemplate(id: string) {
  const api = useApi();
  return useQuery({ queryKey: ['template', id], queryFn: () => api<TemplateView>(`/v1/templates/${encodeURIComponent(id)}`) });
}

export function useSaveTemplate(id: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (t: Template) => api<TemplateView>(`/v1/templates/${encodeURIComponent(id)}`, { method: 'PUT', body: t }),
    onSuccess: (v) => {
      qc.setQueryData(['template', id], v);
      void qc.invalidateQueries({ queryKey: ['templates'] });
    },
  });
}

export function useRestoreTemplate(id: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => api<{ repo_template_restored: boolean }>(`/v1/templates/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['template', id] }),
  });
}

/** Renders the saved template, or a draft (not saved), for the sample contact or one named. */
export function usePreview(id: string) {
  const api = useApi();
  return useMutation({
    mutationFn: ({ contactId, template }: { contactId: string; template?: Template }) =>
      api<TemplatePreview>(`/v1/templates/${encodeURIComponent(id)}/preview`, {
        method: 'POST',
        body: { ...(contactId ? { contact_id: contactId } : {}), ...(template ? { template } : {}) },
      }),
  });
}

export function useSendTest(id: string) {
  const api = useApi();
  return useMutation({
    mutationFn: (to: string) => api<{ send_id: string }>(`/v1/templates/${encodeURIComponent(id)}/test`, { method: 'POST', body: { to } }),
  });
}
