import { Suspense, useEffect, useMemo, useState } from 'react';
import { QueryClientProvider } from '@tanstack/react-query';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { Auth, type Session } from '@/lib/auth';
import { createApiClient } from '@/lib/api-client';
import { createQueryClient } from '@/lib/query-client';
import { loadConfig, type ConsoleConfig } from '@/lib/config';
import { SessionContext } from '@/lib/session';
import { Loading, ErrorMessage } from '@/components/ui';
import { PageErrorBoundary } from '@/components/query-state';
import { SignInForm } from '@/features/auth';
import { Layout } from './Layout';
import { PAGES } from './routes';

type State = { kind: 'loading' } | { kind: 'failed'; error: Error } | { kind: 'ready'; cfg: ConsoleConfig; auth: Auth; session: Session | null };

export function App() {
  const [state, setState] = useState<State>({ kind: 'loading' });

  useEffect(() => {
    loadConfig()
      .then(async (cfg) => {
        const auth = new Auth(cfg);
        setState({ kind: 'ready', cfg, auth, session: await auth.current() });
      })
      .catch((error: Error) => setState({ kind: 'failed', error }));
  }, []);

  if (state.kind === 'loading') return <Loading label="Starting the console…" />;
  if (state.kind === 'failed') return <ErrorMessage error={state.error} />;
  const { cfg, auth, session } = state;
  const setSession = (s: Session | null) => setState({ ...state, session: s });
  if (!session) return <SignInForm auth={auth} onSignedIn={setSession} />;
  return <SignedIn cfg={cfg} auth={auth} session={session} onSignOut={() => setSession(null)} />;
}

function SignedIn({ cfg, auth, session, onSignOut }: { cfg: ConsoleConfig; auth: Auth; session: Session; onSignOut: () => void }) {
  const queryClient = useMemo(createQueryClient, [session.email]);
  const value = useMemo(() => {
    const signOut = () => {
      auth.signOut();
      queryClient.clear();
      onSignOut();
    };
    const api = createApiClient({
      baseUrl: cfg.apiUrl.replace(/\/$/, ''),
      // The library refreshes an expired ID token with the refresh token.
      token: async () => (await auth.current())?.idToken ?? null,
      onUnauthorized: () => {
        void auth.current().then((s) => {
          if (!s) signOut();
        });
      },
    });
    return { session, api, signOut };
  }, [cfg, auth, session, queryClient, onSignOut]);

  return (
    <QueryClientProvider client={queryClient}>
      <SessionContext.Provider value={value}>
        <BrowserRouter basename="/console">
          <Suspense fallback={<Loading />}>
            <Routes>
              <Route element={<Layout />}>
                <Route index element={<Navigate to="/overview" replace />} />
                {PAGES.map((p) => (
                  <Route key={p.path} path={p.path} element={<PageErrorBoundary key={p.path}>{p.element}</PageErrorBoundary>} />
                ))}
                <Route path="*" element={<ErrorMessage error={new Error('There is no such page in the console.')} />} />
              </Route>
            </Routes>
          </Suspense>
        </BrowserRouter>
      </SessionContext.Provider>
    </QueryClientProvider>
  );
}
