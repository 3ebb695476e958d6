import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes } from 'react-router';
import { ContactPage } from './ContactPage';
import { createQueryClient } from '@/lib/query-client';
import { SessionContext } from '@/lib/session';
import { ApiError, type ApiClient } from '@/lib/api-client';
import type { ContactView, Role, ScoreView, TimelinePage } from '@/types/api';

const contact: ContactView = {
  id: 'c1', email: 'grace@acme.test', anonymous_ids: ['a1'], traits: { email: 'grace@acme.test', title: 'VP Marketing' },
  first_seen: '2026-12-01T10:00:00Z', last_seen: '2026-12-06T10:00:00Z', page_views: 4, event_count: 5, sessions: 2,
  stage: 'lead', tags: ['webinar'], created_at: '2026-12-01T10:00:00Z', updated_at: '2026-12-06T10:00:00Z',
  score: { total: 42, fit: 30, engagement: 12 },
  consents: [{ purpose: 'marketing', text: 'Send me the newsletter', at: '2026-12-02T10:00:00Z', source: 'form:newsletter' }],
  events: [],
  segments: ['hot-pricing'],
  lists: ['newsletter'],
};
const score: ScoreView = {
  contact_id: 'c1', score: { total: 42, fit: 30, engagement: 12 }, model_version: 'v1', stale: false,
  breakdown: [{ rule_id: 'pricing-view', kind: 'engagement', description: 'Viewed pricing', points: 12 }],
  history: [], series: [], stage: 'lead', stage_history: [], at: '2026-12-06T10:00:00Z',
};

function renderAs(role: Role, api: ApiClient) {
  render(
    <QueryClientProvider client={createQueryClient()}>
      <SessionContext.Provider value={{ session: { email: 'me@x', role, idToken: 't', expiresAt: 0 }, api, signOut: () => {} }}>
        <MemoryRouter initialEntries={['/contacts/c1']}>
          <Routes>
            <Route path="/contacts/:id" element={<ContactPage />} />
            <Route path="/contacts" element={<h1>Contact list</h1>} />
          </Routes>
        </MemoryRouter>
      </SessionContext.Provider>
    </QueryClientProvider>,
  );
}

type Init = { method?: string; body?: unknown; query?: Record<string, string | undefined> };

// The timeline's two pages: the first names a cursor, the second is the last.
const newer: TimelinePage = {
  contact_id: 'c1',
  events: [{ type: 'page', messageId: 'm2', timestamp: '2026-12-06T10:00:00Z', context: { page: { title: 'Pricing' } } }],
  next_before: '2026-12-06T10:00:00Z|m2',
};
const older: TimelinePage = {
  contact_id: 'c1',
  events: [{ type: 'track', messageId: 'm1', event: 'Webinar Registered', timestamp: '2026-12-01T10:00:00Z' }],
};

function fakeApi(onWrite?: (path: string, body: unknown, method: string) => unknown): ApiClient {
  return (async (path: string, init?: Init) => {
    if (init?.method && init.method !== 'GET') return onWrite!(path, init.body, init.method);
    if (path.endsWith('/score')) return score;
    if (path.endsWith('/messages')) return { contact_id: 'c1', messages: [] };
    if (path.endsWith('/timeline')) return init?.query?.before === newer.next_before ? older : newer;
    if (path.endsWith('/export')) return { contact, events: [] };
    return contact;
  }) as ApiClient;
}

describe('ContactPage', () => {
  it('shows traits, the score explanation and the timeline, and no actions to a viewer', async () => {
    renderAs('viewer', fakeApi());
    expect(await screen.findByRole('heading', { name: 'grace@acme.test' })).toBeTruthy();
    expect(screen.getByText('VP Marketing')).toBeTruthy();
    expect(await screen.findByText('Viewed pricing')).toBeTruthy();
    expect(await screen.findByText('Pricing')).toBeTruthy();
    expect(screen.getByText('Send me the newsletter')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'hot-pricing' }).getAttribute('href')).toBe('/segments/hot-pricing');
    expect(screen.getByLabelText('Lists').textContent).toBe('newsletter');
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
    expect(put).toHaveBeenCalledWith('/v1/contacts/c1/stage', { stage: 'mql', reason: 'Asked for a demo' }, 'PUT');
    expect((await screen.findByRole('alert')).textContent).toContain('your role (viewer) may not do this');
    expect(form).toBeTruthy();
  });

  it('hides export, unsubscribe and erase from a viewer', async () => {
    renderAs('viewer', fakeApi());
    await screen.findByRole('heading', { name: 'grace@acme.test' });
    expect(screen.getByText('Viewers cannot unsubscribe, export or erase contacts.')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Export as JSON' })).toBeNull();
    expect(screen.queryByRole('button', { name: /unsubscribe/i })).toBeNull();
    expect(screen.queryByRole('form', { name: 'Erase contact' })).toBeNull();
  });

  it('downloads the export for a marketer', async () => {
    const created: Blob[] = [];
    const createObjectURL = vi.spyOn(URL, 'createObjectURL').mockImplementation((b) => {
      created.push(b as Blob);
      return 'blob:export';
    });
    renderAs('marketer', fakeApi());
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Export as JSON' }));
    expect((await screen.findByRole('status')).textContent).toContain('contact-c1.json');
    expect(createObjectURL).toHaveBeenCalledOnce();
    expect(JSON.parse(await created[0].text()).contact.id).toBe('c1');
    createObjectURL.mockRestore();
  });

  it('keeps erase disabled until the contact\'s email is typed, then erases and leaves the page', async () => {
    const write = vi.fn(() => ({ erased: true, contact_id: 'c1', contact_ids: ['c1'], items_deleted: 9 }));
    renderAs('admin', fakeApi(write));
    const user = userEvent.setup();
    const input = await screen.findByLabelText('Type grace@acme.test to confirm');
    const button = screen.getByRole('button', { name: 'Erase contact' }) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    await user.type(input, 'grace@acme.tes');
    expect(button.disabled).toBe(true);
    await user.click(button);
    expect(write).not.toHaveBeenCalled();
    await user.type(input, 't');
    expect(button.disabled).toBe(false);
    await user.click(button);
    expect(write).toHaveBeenCalledWith('/v1/contacts/c1', undefined, 'DELETE');
    expect(await screen.findByRole('heading', { name: 'Contact list' })).toBeTruthy();
  });

  it('unsubscribes through PATCH status', async () => {
    const write = vi.fn(() => ({ ...contact, status: 'unsubscribed' }));
    renderAs('marketer', fakeApi(write));
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Unsubscribe from marketing email' }));
    expect(write).toHaveBeenCalledWith('/v1/contacts/c1', { status: 'unsubscribed' }, 'PATCH');
  });

  it('loads older timeline events on "load more" until the last page', async () => {
    renderAs('viewer', fakeApi());
    const user = userEvent.setup();
    expect(await screen.findByText('Pricing')).toBeTruthy();
    expect(screen.queryByText('Webinar Registered')).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Load older events' }));
    expect(await screen.findByText('Webinar Registered')).toBeTruthy();
    expect(screen.getByText('Pricing')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Load older events' })).toBeNull();
    expect(screen.getByText('That is every event.')).toBeTruthy();
  });
});
