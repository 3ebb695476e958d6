import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/react';
import { QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter } from 'react-router';
import { RescoreStatus } from './pages';
import { DefinitionsPage } from './DefinitionsPage';
import { createQueryClient } from '@/lib/query-client';
import { SessionContext } from '@/lib/session';
import type { ApiClient } from '@/lib/api-client';
import type { RescoreProgress } from '../api/rescore';

function renderWith(api: ApiClient, ui: React.ReactNode) {
  render(
    <QueryClientProvider client={createQueryClient()}>
      <SessionContext.Provider value={{ session: { email: 'me@x', role: 'viewer', idToken: 't', expiresAt: 0 }, api, signOut: () => {} }}>
        <MemoryRouter>{ui}</MemoryRouter>
      </SessionContext.Provider>
    </QueryClientProvider>,
  );
}

describe('re-score progress', () => {
  it('shows how far the re-score of the model in force got', async () => {
    const p: RescoreProgress = {
      model_version: 'abc', contacts: 400, contacts_capped: false, done: false,
      run: { kind: 'rescore', id: 'abc', shards: 16, shards_done: 4, contacts_visited: 100, contacts_changed: 90, started_at: '2026-12-07T11:00:00Z', updated_at: '2026-12-07T11:01:00Z' },
    };
    renderWith((async () => p) as ApiClient, <RescoreStatus />);
    const bar = await screen.findByLabelText('Re-scoring contacts under the new model');
    expect(bar.getAttribute('value')).toBe('25');
    expect(screen.getByText(/100 contacts visited of about 400, 90 re-scored; 4 of 16 shards done/)).toBeTruthy();
  });

  it('says when no re-score ran for the model in force', async () => {
    renderWith((async () => ({ model_version: 'abc', contacts: 3, contacts_capped: false, run: null })) as ApiClient, <RescoreStatus />);
    expect(await screen.findByText(/No re-score has run for the model in force \(abc\)/)).toBeTruthy();
  });
});

describe('definitions overview', () => {
  it('lists every kind with its drift, and kinds without a page without a link', async () => {
    const drift = {
      kinds: [
        { kind: 'topics', singleton: true, definitions: [{ kind: 'topics', id: 'default', source: 'api', version: 2, overrides_repo: true, differs_from_repo: true, updated_at: '2026-12-07T11:00:00Z', updated_by: 'ann@x' }] },
        { kind: 'forms', singleton: false, definitions: [] },
        { kind: 'segments', singleton: false, definitions: [{ kind: 'segments', id: 'hot', source: 'api', version: 1, overrides_repo: false, differs_from_repo: true }] },
      ],
    };
    renderWith((async () => drift) as ApiClient, <DefinitionsPage />);
    expect(await screen.findByText(/1 definition edited here differs from the repo\. 1 definition exists only here, not in the repo\./)).toBeTruthy();
    expect(screen.getByText('edited: differs from the repo')).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'No forms yet' })).toBeTruthy();
    expect(screen.getAllByRole('link', { name: 'Topics' }).every((a) => a.getAttribute('href') === '/topics')).toBe(true);
    expect(screen.getByText('hot').closest('a')).toBeNull();
  });
});
