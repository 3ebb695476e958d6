import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes } from 'react-router';
import { createQueryClient } from '@/lib/query-client';
import { SessionContext } from '@/lib/session';
import { ApiError, type ApiClient } from '@/lib/api-client';
import { CampaignsPage } from '../routes/CampaignsPage';
import { draftOf } from './NewCampaign';

type Init = { method?: string; body?: unknown };

function renderWith(client: ApiClient, role: 'viewer' | 'marketer' = 'marketer') {
  return render(
    <QueryClientProvider client={createQueryClient()}>
      <SessionContext.Provider value={{ session: { email: 'me@x', role, idToken: 't', expiresAt: 0 }, api: client, signOut: () => {} }}>
        <MemoryRouter initialEntries={['/campaigns']}>
          <Routes>
            <Route path="/campaigns" element={<CampaignsPage />} />
            <Route path="/campaigns/:id" element={<p>campaign page</p>} />
          </Routes>
        </MemoryRouter>
      </SessionContext.Provider>
    </QueryClientProvider>,
  );
}

function routes(existing: string[], puts: { path: string; body: unknown }[]): ApiClient {
  return vi.fn(async (path: string, init?: Init) => {
    if (path === '/v1/campaigns') return { campaigns: [] };
    if (path === '/v1/templates') return { templates: [{ id: 'welcome', name: 'Welcome', source: 'repo' }] };
    if (path === '/v1/lists') return { lists: [{ id: 'launch', name: 'Launch list', count: 3 }] };
    if (path === '/v1/segments') return { segments: [{ id: 'de', name: 'Germany', count: 2, state: 'ready' }] };
    const id = path.replace('/v1/campaigns/', '');
    if (init?.method === 'PUT') {
      puts.push({ path, body: init.body });
      return { ...(init.body as object), state: 'draft', version: 1 };
    }
    if (existing.includes(id)) return { id, name: id, state: 'draft' };
    throw new ApiError(404, 'not_found', `no campaign ${id}`);
  }) as unknown as ApiClient;
}

async function fill(id: string) {
  const form = await screen.findByRole('form', { name: 'New campaign' });
  fireEvent.change(within(form).getByLabelText('Id'), { target: { value: id } });
  fireEvent.change(within(form).getByLabelText('Name'), { target: { value: 'Launch news' } });
  await within(form).findByRole('option', { name: 'Welcome' });
  fireEvent.change(within(form).getByLabelText('Template'), { target: { value: 'welcome' } });
  await within(form).findByRole('option', { name: 'Germany' });
  fireEvent.change(within(form).getByLabelText('Audience'), { target: { value: 'list:launch' } });
  fireEvent.change(within(form).getByLabelText(/^Topic/), { target: { value: 'newsletter' } });
  fireEvent.click(within(form).getByRole('button', { name: 'Create draft' }));
}

describe('NewCampaign', () => {
  it('creates a draft from the form and opens it', async () => {
    const puts: { path: string; body: unknown }[] = [];
    renderWith(routes([], puts));
    await fill('launch-news');
    expect(await screen.findByText('campaign page')).toBeTruthy();
    expect(puts).toEqual([
      {
        path: '/v1/campaigns/launch-news',
        body: { id: 'launch-news', name: 'Launch news', audience: { lists: ['launch'] }, template: 'welcome', topic: 'newsletter', schedule: { type: 'now' } },
      },
    ]);
  });

  it('refuses an id in use instead of overwriting that campaign', async () => {
    const puts: { path: string; body: unknown }[] = [];
    renderWith(routes(['launch-news'], puts));
    await fill('launch-news');
    expect((await screen.findByRole('alert')).textContent).toContain('A campaign with the id launch-news exists already.');
    await waitFor(() => expect(puts).toEqual([]));
  });

  it('is not offered to a viewer', async () => {
    renderWith(routes([], []), 'viewer');
    await screen.findByRole('heading', { name: 'No campaigns yet' });
    expect(screen.queryByRole('form', { name: 'New campaign' })).toBeNull();
  });

  it('makes a segment audience and leaves out an empty topic', () => {
    expect(draftOf({ id: 'x', name: ' X ', template: 't', audience: 'segment:de', topic: ' ' })).toEqual({
      id: 'x',
      name: 'X',
      audience: { segments: ['de'] },
      template: 't',
      schedule: { type: 'now' },
    });
  });
});
