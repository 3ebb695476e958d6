import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes } from 'react-router';
import { ContactPage } from './ContactPage';
import { createQueryClient } from '@/lib/query-client';
import { SessionContext } from '@/lib/session';
import { ApiError, type ApiClient } from '@/lib/api-client';
import type { ContactView, Role, ScoreView } from '@/types/api';

const contact: ContactView = {
  id: 'c1', email: 'grace@acme.test', anonymous_ids: ['a1'], traits: { email: 'grace@acme.test', title: 'VP Marketing' },
  first_seen: '2026-12-01T10:00:00Z', last_seen: '2026-12-06T10:00:00Z', page_views: 4, event_count: 5, sessions: 2,
  stage: 'lead', tags: ['webinar'], created_at: '2026-12-01T10:00:00Z', updated_at: '2026-12-06T10:00:00Z',
  score: { total: 42, fit: 30, engagement: 12 },
  events: [{ type: 'page', messageId: 'm1', timestamp: '2026-12-06T10:00:00Z', context: { page: { title: 'Pricing' } } }],
};
const score: ScoreView = {
  contact_id: 'c1', score: { total: 42, fit: 30, engagement: 12 }, model_version: 'v1', stale: false,
  breakdown: [{ rule_id: 'pricing-view', kind: 'engagement', description: 'Viewed pricing', points: 12 }],
  history: [], stage: 'lead', stage_history: [], at: '2026-12-06T10:00:00Z',
};

function renderAs(role: Role, api: ApiClient) {
  render(
    <QueryClientProvider client={createQueryClient()}>
      <SessionContext.Provider value={{ session: { email: 'me@x', role, idToken: 't', expiresAt: 0 }, api, signOut: () => {} }}>
        <MemoryRouter initialEntries={['/contacts/c1']}>
          <Routes>
            <Route path="/contacts/:id" element={<ContactPage />} />
          </Routes>
        </MemoryRouter>
      </SessionContext.Provider>
    </QueryClientProvider>,
  );
}

function fakeApi(onPut?: (path: string, body: unknown) => unknown): ApiClient {
  return (async (path: string, init?: { method?: string; body?: unknown }) => {
    if (init?.method === 'PUT') return onPut!(path, init.body);
    return path.endsWith('/score') ? score : contact;
  }) as ApiClient;
}

describe('ContactPage', () => {
  it('shows traits, the score explanation and the timeline, and no actions to a viewer', async () => {
    renderAs('viewer', fakeApi());
    expect(await screen.findByRole('heading', { name: 'grace@acme.test' })).toBeTruthy();
    expect(screen.getByText('VP Marketing')).toBeTruthy();
    expect(await screen.findByText('Viewed pricing')).toBeTruthy();
    expect(screen.getByText('Pricing')).toBeTruthy();
    expect(screen.queryByRole('form', { name: 'Change stage' })).toBeNull();
    expect(screen.getByText('Viewers cannot change stages.')).toBeTruthy();
  });

  it("lets a marketer change the stage with a reason, and shows the API's refusal as its message", async () => {
    const put = vi.fn(() => {
      throw new ApiError(403, 'forbidden', 'your role (viewer) may not do this');
    });
    renderAs('marketer', fakeApi(put));
    const user = userEvent.setup();
    const form = await screen.findByRole('form', { name: 'Change stage' });
    await user.selectOptions(screen.getByLabelText('New stage'), 'mql');
    await user.type(screen.getByLabelText('Reason'), 'Asked for a demo');
    await user.click(screen.getByRole('button', { name: 'Change stage' }));
    expect(put).toHaveBeenCalledWith('/v1/contacts/c1/stage', { stage: 'mql', reason: 'Asked for a demo' });
    expect((await screen.findByRole('alert')).textContent).toContain('your role (viewer) may not do this');
    expect(form).toBeTruthy();
  });
});
