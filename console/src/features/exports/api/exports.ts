import { useMutation, useQuery } from '@tanstack/react-query';
import { useApi } from '@/lib/session';
import type { ExportRequest, ExportView } from '@/types/api';

export function useStartExport() {
  const api = useApi();
  return useMutation({ mutationFn: (req: ExportRequest) => api<ExportView>('/v1/exports', { method: 'POST', body: req }) });
}

/** useExport polls an export every second until it is done or failed. */
export function useExport(id: string | undefined) {
  const api = useApi();
  return useQuery({
    queryKey: ['export', id],
    queryFn: () => api<ExportView>(`/v1/exports/${encodeURIComponent(id!)}`),
    enabled: !!id,
    refetchInterval: (q) => (q.state.data && q.state.data.state !== 'running' ? false : 1000),
  });
}

/** splitColumns reads "email, traits.company" into column names. */
export function splitColumns(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}
