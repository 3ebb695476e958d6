import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes, useParams } from 'react-router';
import axe from 'axe-core';
import { JourneyPage } from './JourneyPage';
import { JourneyStepPage } from './JourneyStepPage';
import { createQueryClient } from '@/lib/query-client';
import { SessionContext } from '@/lib/session';
import { ApiError, type ApiClient, type RequestInit } from '@/lib/api-client';
import type { DefinitionView, Journey, JourneyStepContacts } from '@/types/api';

const journey: Journey = {
  id: 'welcome',
  name: 'Newsletter welcome',
  status: 'live',
  trigger: { kind: 'event', event: 'Subscription Confirmed' },
  start: 'welcome-mail',
  steps: [
    { id: 'welcome-mail', kind: 'email', email: { template: 'welcome' }, next: 'wait-2d' },
    { id: 'wait-2d', kind: 'wait', wait: { for: '2d' }, next: 'done' },
    { id: 'done', kind: 'exit' },
  ],
};

const view: DefinitionView<Journey> = {
  kind: 'journeys', id: 'welcome', definition: journey, source: 'repo', version: 3, overrides_repo: false, differs_from_repo: false,
  updated_at: null, updated_by: null, etag: 'e3',
};

const page1: JourneyStepContacts = {
  journey_id: 'welcome', version: 3, step: 'wait-2d', next_cursor: 'CUR1',
  contacts: [
    { contact_id: 'c1', email: 'ada@example.com', run_id: 'r1', since: '2026-12-01T10:00:00Z', waiting_until: '2026-12-03T10:00:00Z' },
    { contact_id: 'c<2>', run_id: 'r2', since: '2026-12-01T11:00:00Z', held: true },
  ],
};
const page2: JourneyStepContacts = {
  journey_id: 'welcome', version: 3, step: 'wait-2d',
  contacts: [{ contact_id: 'c3', email: 'cy@example.com', run_id: 'r3', since: '2026-12-02T09:00:00Z', waiting_for: 'Form Submitted', waiting_until: '2026-12-09T09:00:00Z' }],
};

function fakeApi() {
  const calls: [string, RequestInit | undefined][] = [];
  const api = (async (path: string, init?: RequestInit) => {
    calls.push([path, init]);
    if (path === '/v1/journeys/welcome/steps/wait-2d/contacts') {
      const q = init?.query ?? {};
      if (q.version === '2') return { journey_id: 'welcome', version: 2, step: 'wait-2d', contacts: [] };
      return q.cursor === 'CUR1' ? page2 : page1;
    }
    if (path === '/v1/definitions/journeys/welcome/versions')
      return { versions: [{ version: 3, at: '2026-12-01T00:00:00Z', by: 'me', summary: '' }, { version: 2, at: '2026-11-01T00:00:00Z', by: 'me', summary: '' }] };
    if (path === '/v1/definitions/journeys/welcome') return view;
    if (path === '/v1/definitions/journeys/welcome/versions/2')
      return { kind: 'journeys', id: 'welcome', version: 2, at: '2026-11-01T00:00:00Z', by: 'me', summary: '', deleted: false, definition: journey };
    if (path.endsWith('/steps')) return { journey_id: 'welcome', steps: [], nodes: [] };
    if (path.endsWith('/validate')) return { kind: 'journeys', id: 'welcome', valid: true, problems: [] };
    if (path === '/v1/definitions') return { kinds: [] };
    throw new ApiError(404, 'not_found', `no fake for ${path}`);
  }) as ApiClient;
  return { api, calls };
}

function ContactStub() {
  const { id } = useParams();
  return <h1>Contact {id}</h1>;
}

function renderAt(path: string, api: ApiClient) {
  return render(
    <QueryClientProvider client={createQueryClient()}>
      <SessionContext.Provider value={{ session: { email: 'me@x', role: 'viewer', idToken: 't', expiresAt: 0 }, api, signOut: () => {} }}>
        <MemoryRouter initialEntries={[path]}>
          <Routes>
            <Route path="/journeys/:id" element={<JourneyPage />} />
            <Route path="/journeys/:id/steps/:step" element={<JourneyStepPage />} />
            <Route path="/contacts/:id" element={<ContactStub />} />
          </Routes>
        </MemoryRouter>
      </SessionContext.Provider>
    </QueryClientProvider>,
  );
}

async function seriousViolations(container: HTMLElement) {
  const res = await axe.run(container, { rules: { 'color-contrast': { enabled: false } } });
  return res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id);
}

describe('JourneyStepPage', () => {
  it('lists the contacts at a step, each linking to its contact page, and pages on by cursor', async () => {
    const { api, calls } = fakeApi();
    const { container } = renderAt('/journeys/welcome/steps/wait-2d', api);
    const table = await screen.findByRole('table', { name: 'Contacts at wait-2d' });
    const ada = within(table).getByRole('link', { name: 'ada@example.com' });
    expect(ada.getAttribute('href')).toBe('/contacts/c1');
    // No email: the id, escaped in the link.
    expect(within(table).getByRole('link', { name: 'c<2>' }).getAttribute('href')).toBe('/contacts/c%3C2%3E');
    expect(within(table).getByText('held: the journey is paused')).toBeTruthy();
    expect(screen.getByRole('heading', { name: /version 3/ })).toBeTruthy();
    const first = calls.find(([p]) => p.endsWith('/contacts'))!;
    expect(first[1]?.query).toEqual({ version: undefined, cursor: undefined });

    fireEvent.click(screen.getByRole('button', { name: 'More contacts' }));
    expect(await within(table).findByRole('link', { name: 'cy@example.com' })).toBeTruthy();
    expect(within(table).getByText(/^for Form Submitted, at most until/)).toBeTruthy();
    expect(calls.filter(([p]) => p.endsWith('/contacts')).map(([, i]) => i?.query?.cursor)).toEqual([undefined, 'CUR1']);
    expect(screen.queryByRole('button', { name: 'More contacts' })).toBeNull(); // the last page has no cursor
    expect(await seriousViolations(container)).toEqual([]);

    fireEvent.click(ada);
    expect(await screen.findByRole('heading', { name: 'Contact c1' })).toBeTruthy();
  });

  it('filters by version, from the URL and the version switcher', async () => {
    const { api, calls } = fakeApi();
    renderAt('/journeys/welcome/steps/wait-2d?version=3', api);
    await screen.findByRole('table', { name: 'Contacts at wait-2d' });
    expect(calls.find(([p]) => p.endsWith('/contacts'))![1]?.query?.version).toBe('3');
    await screen.findByRole('option', { name: 'Version 2' });
    fireEvent.change(screen.getByLabelText('Version'), { target: { value: '2' } });
    expect(await screen.findByText('No contact is at this step of this version now.')).toBeTruthy();
    expect(calls.filter(([p]) => p.endsWith('/contacts')).at(-1)![1]?.query?.version).toBe('2');
  });

  it('shows the API error when the listing is refused', async () => {
    const api = (async (path: string) => {
      if (path.endsWith('/contacts')) throw new ApiError(404, 'not_found', 'no journey nope');
      return { versions: [] };
    }) as ApiClient;
    renderAt('/journeys/nope/steps/a', api);
    expect(await screen.findByText(/no journey nope/)).toBeTruthy();
  });
});

describe('JourneyMap drill-down', () => {
  it("opens the contacts at a step from the step's node, for the version shown", async () => {
    const { api } = fakeApi();
    renderAt('/journeys/welcome', api);
    // The map's nodes are hidden until measured (none are in jsdom): found by label, not role.
    const link = await screen.findByLabelText('contacts here: wait-2d');
    expect(link.getAttribute('href')).toBe('/journeys/welcome/steps/wait-2d');
    expect(screen.queryByLabelText('contacts here: start')).toBeNull(); // the trigger is no step
    await screen.findByRole('option', { name: /Version 2/ });
    fireEvent.change(screen.getByLabelText('Version'), { target: { value: '2' } });
    await waitFor(() => expect(screen.getByLabelText('contacts here: wait-2d').getAttribute('href')).toBe('/journeys/welcome/steps/wait-2d?version=2'));
    fireEvent.click(screen.getByLabelText('contacts here: wait-2d'));
    expect(await screen.findByRole('heading', { name: 'Contacts at wait-2d' })).toBeTruthy();
  });
});
