// The signed-in user and the API client bound to their token, shared with
// every feature through React context.
import { createContext, useContext } from 'react';
import type { ApiClient } from './api-client';
import type { Session } from './auth';
import type { Role } from '@/types/api';

export interface SessionContextValue {
  session: Session;
  api: ApiClient;
  signOut: () => void;
}

export const SessionContext = createContext<SessionContextValue | null>(null);

export function useSession(): SessionContextValue {
  const v = useContext(SessionContext);
  if (!v) throw new Error('useSession outside a signed-in session');
  return v;
}

export function useApi(): ApiClient {
  return useSession().api;
}

const RANK: Record<Role, number> = { viewer: 1, marketer: 2, approver: 3, admin: 4 };

/** Whether the user's role is at least min (the API enforces the same table). */
export function useCan(min: Role): boolean {
  const { role } = useSession().session;
  return role !== null && RANK[role] >= RANK[min];
}
