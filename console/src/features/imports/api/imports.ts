import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '@/lib/session';
import type { ImportCreated, ImportDefinition, ImportView } from '@/types/api';

/** useImports lists recent imports, polling every 2 s while one is running. */
export function useImports() {
  const api = useApi();
  return useQuery({
    queryKey: ['imports'],
    queryFn: () => api<{ imports: ImportView[] }>('/v1/imports'),
    refetchInterval: (q) => (q.state.data?.imports.some((i) => i.state === 'running') ? 2000 : false),
  });
}

/**
 * useStartImport runs the three steps of an import: create it, PUT the
 * file straight to the presigned URL (the file never passes the API), start it.
 */
export function useStartImport() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ def, file }: { def: ImportDefinition; file: Blob }) => {
      const created = await api<ImportCreated>('/v1/imports', { method: 'POST', body: def });
      const put = await fetch(created.upload_url, { method: created.upload_method || 'PUT', headers: created.upload_headers, body: file });
      if (!put.ok) throw new Error(`Uploading the file failed (${put.status}).`);
      return api<ImportView>(`/v1/imports/${encodeURIComponent(created.id)}/start`, { method: 'POST' });
    },
    onSettled: () => qc.invalidateQueries({ queryKey: ['imports'] }),
  });
}

/** useErrorReport fetches a fresh download link of an import's error report. */
export function useErrorReport() {
  const api = useApi();
  return useMutation({ mutationFn: (path: string) => api<{ url: string }>(path) });
}
