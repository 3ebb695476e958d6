// The definitions registry's routes (/v1/definitions/...), the same for
// every kind: read, validate while typing, save with If-Match, restore the
// repo version, history.
import { useEffect, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '@/lib/session';
import type { DefinitionKind, DefinitionView, KindDrift, Validation, VersionInfo, VersionView } from '@/types/api';

const path = (kind: DefinitionKind, id: string) => `/v1/definitions/${kind}/${encodeURIComponent(id)}`;

export const definitionKey = (kind: DefinitionKind, id: string) => ['definition', kind, id] as const;

export function useDrift() {
  const api = useApi();
  return useQuery({ queryKey: ['definitions'], queryFn: () => api<{ kinds: KindDrift[] }>('/v1/definitions') });
}

export function useDefinitionList<T = unknown>(kind: DefinitionKind) {
  const api = useApi();
  return useQuery({
    queryKey: ['definitions', kind],
    queryFn: () => api<{ kind: DefinitionKind; definitions: DefinitionView<T>[] }>(`/v1/definitions/${kind}`),
  });
}

export function useDefinition<T = unknown>(kind: DefinitionKind, id: string) {
  const api = useApi();
  return useQuery({ queryKey: definitionKey(kind, id), queryFn: () => api<DefinitionView<T>>(path(kind, id)) });
}

/** Pretty JSON as the editor shows a definition. */
export function toText(v: unknown): string {
  return JSON.stringify(v, null, 2) + '\n';
}

/**
 * Validates text with the API once typing pauses (delay ms). The answer
 * for older text is dropped, so problems always describe what is shown.
 */
export function useValidation(kind: DefinitionKind, id: string, text: string | null, delay = 400) {
  const api = useApi();
  const [state, setState] = useState<{ text: string; result?: Validation; error?: unknown; pending: boolean } | null>(null);
  useEffect(() => {
    if (text === null) return;
    let live = true;
    setState((s) => ({ text, result: s?.result, pending: true }));
    const timer = setTimeout(() => {
      api<Validation>(`${path(kind, id)}/validate`, { method: 'POST', rawBody: text })
        .then((result) => live && setState({ text, result, pending: false }))
        .catch((error: unknown) => live && setState({ text, error, pending: false }));
    }, delay);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [api, kind, id, text, delay]);
  return state;
}

/** Saves text over the version read (If-Match its ETag); 412 means someone else saved first. */
export function useSaveDefinition<T = unknown>(kind: DefinitionKind, id: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ text, etag }: { text: string; etag: string }) =>
      api<DefinitionView<T>>(path(kind, id), { method: 'PUT', rawBody: text, headers: { 'If-Match': etag } }),
    onSuccess: (v) => {
      qc.setQueryData(definitionKey(kind, id), v);
      void qc.invalidateQueries({ queryKey: ['definitions'] });
      void qc.invalidateQueries({ queryKey: ['versions', kind, id] });
    },
  });
}

/** Removes the override, so the repo's version is in effect again. */
export function useRestoreRepo(kind: DefinitionKind, id: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (etag: string) => api<{ repo_restored: boolean }>(path(kind, id), { method: 'DELETE', headers: { 'If-Match': etag } }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: definitionKey(kind, id) });
      void qc.invalidateQueries({ queryKey: ['definitions'] });
      void qc.invalidateQueries({ queryKey: ['versions', kind, id] });
    },
  });
}

export function useVersions(kind: DefinitionKind, id: string) {
  const api = useApi();
  return useQuery({ queryKey: ['versions', kind, id], queryFn: () => api<{ versions: VersionInfo[] }>(`${path(kind, id)}/versions`) });
}

export function useVersion(kind: DefinitionKind, id: string, n: number | null) {
  const api = useApi();
  return useQuery({
    queryKey: ['versions', kind, id, n],
    queryFn: () => api<VersionView>(`${path(kind, id)}/versions/${n}`),
    enabled: n !== null,
  });
}
