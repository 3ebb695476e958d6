import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useApi } from '@/lib/session';
import type { FunnelReport, OverviewReport } from '@/types/api';
import type { Range } from '../components/period';

export function useOverview(r: Range) {
  const api = useApi();
  return useQuery({
    queryKey: ['reports', 'overview', r.from, r.to],
    queryFn: () => api<OverviewReport>('/v1/reports/overview', { query: { from: r.from, to: r.to } }),
    placeholderData: keepPreviousData,
  });
}

export function useFunnel(r: Range) {
  const api = useApi();
  return useQuery({
    queryKey: ['reports', 'funnel', r.from, r.to],
    queryFn: () => api<FunnelReport>('/v1/reports/funnel', { query: { from: r.from, to: r.to } }),
    placeholderData: keepPreviousData,
  });
}
