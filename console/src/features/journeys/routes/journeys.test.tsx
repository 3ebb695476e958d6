import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes } from 'react-router';
import axe from 'axe-core';
import { JourneyPage } from './JourneyPage';
import { JourneysPage } from './JourneysPage';
import { ContactJourneys } from '@/features/contacts/components/ContactJourneys';
import { createQueryClient } from '@/lib/query-client';
import { SessionContext } from '@/lib/session';
import { ApiError, type ApiClient } from '@/lib/api-client';
import type { DefinitionView, Journey, JourneyRun, JourneySteps, Role } from '@/types/api';

const welcome: Journey = {
  id: 'welcome',
  name: 'Newsletter welcome',
  status: 'draft',
  trigger: { kind: 'event', event: 'Subscription Confirmed' },
  start: 'welcome-mail',
  steps: [
    { id: 'welcome-mail', kind: 'email', email: { template: 'welcome' }, next: 'wait-2d' },
    { id: 'wait-2d', kind: 'wait', wait: { for: '2d' }, next: 'clicked-welcome' },
    {
      id: 'clicked-welcome',
      kind: 'branch',
      branch: { cases: [{ name: 'clicked', condition: { clicked: 'welcome-mail' }, next: 'done' }], else: 'tips-mail' },
    },
    { id: 'tips-mail', kind: 'email', email: { template: 'welcome-tips' }, next: 'done' },
    { id: 'done', kind: 'exit' },
  ],
};

const view = (j: Journey, version = 3): DefinitionView<Journey> => ({
  kind: 'journeys', id: 'welcome', definition: j, source: 'repo', version, overrides_repo: false, differs_from_repo: false,
  updated_at: null, updated_by: null, etag: `e${version}`,
});

const steps: JourneySteps = {
  journey_id: 'welcome',
  steps: [],
  nodes: [
    { version: 3, step: '', entered: 12, waiting: 0, moved_on: 0, converted: 0, exited: 0, completed: 0, stopped: 0 },
    { version: 3, step: 'welcome-mail', entered: 12, waiting: 0, moved_on: 12, converted: 0, exited: 0, completed: 0, stopped: 0 },
    { version: 3, step: 'wait-2d', entered: 12, waiting: 7, moved_on: 4, converted: 1, exited: 0, completed: 0, stopped: 0 },
    { version: 2, step: 'wait-2d', entered: 5, waiting: 2, moved_on: 3, converted: 0, exited: 0, completed: 0, stopped: 0 },
  ],
};

type Init = { method?: string; body?: unknown; rawBody?: string; query?: Record<string, string | undefined> };
type Handler = (path: string, init?: Init) => unknown;

function fakeApi(extra?: Handler): ApiClient & { calls: [string, Init | undefined][] } {
  const calls: [string, Init | undefined][] = [];
  const fn = (async (path: string, init?: Init) => {
    calls.push([path, init]);
    const r = extra?.(path, init);
    if (r !== undefined) return r;
    if (path === '/v1/journeys') return { kind: 'journeys', definitions: [view(welcome)] };
    if (path.endsWith('/steps')) return steps;
    if (path === '/v1/definitions/journeys/welcome/versions/2')
      return { kind: 'journeys', id: 'welcome', version: 2, at: '2026-11-01T00:00:00Z', by: 'me', summary: '', deleted: false, definition: welcome };
    if (path.endsWith('/versions')) return { versions: [{ version: 3, at: '2026-12-01T00:00:00Z', by: 'repo', summary: '' }] };
    if (path.endsWith('/validate')) return { kind: 'journeys', id: 'welcome', valid: true, problems: [] };
    if (path === '/v1/definitions/journeys/welcome') return view(welcome);
    if (path === '/v1/definitions') return { kinds: [] };
    throw new ApiError(404, 'not_found', `no fake for ${path}`);
  }) as ApiClient & { calls: [string, Init | undefined][] };
  fn.calls = calls;
  return fn;
}

function renderAt(path: string, role: Role, api: ApiClient) {
  return render(
    <QueryClientProvider client={createQueryClient()}>
      <SessionContext.Provider value={{ session: { email: 'me@x', role, idToken: 't', expiresAt: 0 }, api, signOut: () => {} }}>
        <MemoryRouter initialEntries={[path]}>
          <Routes>
            <Route path="/journeys" element={<JourneysPage />} />
            <Route path="/journeys/:id" element={<JourneyPage />} />
            <Route path="/contacts/:id" element={<ContactJourneys contactId="c1" />} />
          </Routes>
        </MemoryRouter>
      </SessionContext.Provider>
    </QueryClientProvider>,
  );
}

async function seriousViolations(container: HTMLElement) {
  const res = await axe.run(container, { rules: { 'color-contrast': { enabled: false } } });
  return res.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(' | ')}`);
}

describe('JourneysPage', () => {
  it('lists journeys with state, entries, active runs and conversions', async () => {
    const { container } = renderAt('/journeys', 'viewer', fakeApi());
    expect((await screen.findByRole('link', { name: 'Newsletter welcome' })).getAttribute('href')).toBe('/journeys/welcome');
    await waitFor(() => expect(screen.getByLabelText('Entries of welcome').textContent).toBe('12'));
    expect(screen.getByLabelText('Active runs of welcome').textContent).toBe('9');
    expect(screen.getByLabelText('Conversions of welcome').textContent).toBe('1');
    expect(await seriousViolations(container)).toEqual([]);
  });

  it('reads the journeys route as the API answers it: the fields of each journey at the top level', async () => {
    // GET /v1/journeys (not the common definition routes) has no "definition" envelope.
    const own = { journeys: [{ ...welcome, id: 'welcome', source: 'repo', version: 3, etag: 'e3' }] };
    renderAt('/journeys', 'viewer', fakeApi((p) => (p === '/v1/journeys' ? own : undefined)));
    expect((await screen.findByRole('link', { name: 'Newsletter welcome' })).getAttribute('href')).toBe('/journeys/welcome');
    await waitFor(() => expect(screen.getByLabelText('Entries of welcome').textContent).toBe('12'));
  });

  it('says how to add a journey when there is none', async () => {
    renderAt('/journeys', 'viewer', fakeApi((p) => (p === '/v1/journeys' ? { kind: 'journeys', definitions: [] } : undefined)));
    expect(await screen.findByText('No journeys yet')).toBeTruthy();
    expect(screen.getByText('definitions/journeys/<id>.json')).toBeTruthy();
  });
});

describe('JourneyPage', () => {
  it('draws a node per step from the definition with its counts, per version', async () => {
    const { container } = renderAt('/journeys/welcome', 'viewer', fakeApi());
    for (const id of ['start', 'welcome-mail', 'wait-2d', 'clicked-welcome', 'tips-mail', 'done']) {
      expect(await screen.findByTestId(`node-${id}`)).toBeTruthy();
    }
    expect(screen.getByTestId('node-wait-2d').textContent).toContain('for 2d');
    await waitFor(() => expect(screen.getByLabelText('Counts for wait-2d').textContent).toContain('17 in · 9 waiting'));
    fireEvent.change(screen.getByLabelText('Version'), { target: { value: '2' } });
    await waitFor(() => expect(screen.getByLabelText('Counts for wait-2d').textContent).toContain('5 in · 2 waiting'));
    // A viewer sees no publish button.
    expect(screen.queryByRole('button', { name: 'Publish' })).toBeNull();
    expect(await seriousViolations(container)).toEqual([]);
  });

  it("puts the API's problems on the node they concern when publishing is refused", async () => {
    const api = fakeApi((p, init) => {
      if (p === '/v1/journeys/welcome/publish' && init?.method === 'POST') {
        throw new ApiError(422, 'invalid_journey', 'step tips-mail: no template welcome-tips', {
          problems: [{ step: 'tips-mail', message: 'no template welcome-tips' }, { message: 'the journey has no goal' }],
        });
      }
      return undefined;
    });
    renderAt('/journeys/welcome', 'marketer', api);
    await screen.findByTestId('node-tips-mail');
    expect(screen.queryByLabelText('Problems in tips-mail')).toBeNull();
    fireEvent.change(screen.getByLabelText(/Runs inside/), { target: { value: 'move' } });
    fireEvent.click(await screen.findByRole('button', { name: 'Publish' }));
    await waitFor(() => expect(api.calls.some(([p, i]) => p === '/v1/journeys/welcome/publish' && JSON.stringify(i?.body) === '{"on_new_version":"move"}')).toBe(true));
    const list = await screen.findByLabelText('Problems in tips-mail');
    expect(list.textContent).toBe('no template welcome-tips');
    expect(screen.getByTestId('node-tips-mail').className).toContain('jmap-problem');
    expect(screen.queryByLabelText('Problems in wait-2d')).toBeNull();
    expect(screen.getByLabelText('Problems with the journey').textContent).toContain('the journey has no goal');
  });

  it("shows the validator's problems on the node of the draft being edited", async () => {
    const validated: string[] = [];
    const api = fakeApi((p, init) => {
      if (p === '/v1/definitions/journeys/welcome/validate') {
        validated.push(init?.rawBody ?? '');
        const bad = (init?.rawBody ?? '').includes('"loop"');
        return {
          kind: 'journeys', id: 'welcome', valid: !bad,
          problems: bad ? [{ in: 'definition', message: 'step loop: loops back to itself without a wait' }] : [],
        };
      }
      return undefined;
    });
    renderAt('/journeys/welcome', 'marketer', api);
    const box = (await screen.findByLabelText('Journey (JSON)')) as HTMLTextAreaElement;
    await waitFor(() => expect(box.value).toContain('tips-mail'));
    const draft = { ...welcome, steps: [...welcome.steps, { id: 'loop', kind: 'update', update: {}, next: 'loop' }] };
    fireEvent.change(box, { target: { value: JSON.stringify(draft, null, 2) } });
    // The draft's new step is drawn at once; its problem arrives with the validator's answer.
    expect(await screen.findByTestId('node-loop')).toBeTruthy();
    expect((await screen.findByLabelText('Problems in loop')).textContent).toBe('loops back to itself without a wait');
    expect(validated.some((t) => t.includes('"loop"'))).toBe(true);
    expect(screen.queryByLabelText('Problems in tips-mail')).toBeNull();
  });

  it('simulates the timeline and highlights the path on the map, listing times and reasons', async () => {
    let sent: unknown;
    const api = fakeApi((p, init) => {
      if (p === '/v1/journeys/welcome/simulate') {
        sent = init?.body;
        const m = (step: string, kind: string, note: string, at: string) => ({ at, journey: 'welcome', version: 3, run: 'r1', step, kind, note });
        return {
          journey_id: 'welcome',
          path: [
            m('welcome-mail', 'email', 'sent welcome', '2026-05-04T08:00:00Z'),
            m('wait-2d', 'wait', 'until 2026-05-06 08:00', '2026-05-04T08:00:00Z'),
            m('clicked-welcome', 'branch', 'else: did not click welcome-mail', '2026-05-06T08:00:00Z'),
            m('tips-mail', 'email', 'sent welcome-tips', '2026-05-06T08:00:00Z'),
            m('done', 'exit', 'completed', '2026-05-06T08:00:00Z'),
          ],
          sends: ['welcome', 'welcome-tips'],
          text: '',
        };
      }
      return undefined;
    });
    const { container } = renderAt('/journeys/welcome', 'viewer', api);
    await screen.findByTestId('node-tips-mail');
    expect(screen.getByTestId('node-tips-mail').getAttribute('data-visited')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Simulate' }));
    const path = await screen.findByRole('list', { name: 'Simulated path' });
    expect(within(path).getAllByRole('listitem')).toHaveLength(5);
    expect(path.textContent).toContain('else: did not click welcome-mail');
    expect((sent as { timeline: { contact: { id: string } } }).timeline.contact.id).toBe('sim-1');
    await waitFor(() => expect(screen.getByTestId('node-tips-mail').getAttribute('data-visited')).toBe('true'));
    expect(screen.getByTestId('node-clicked-welcome').getAttribute('data-visited')).toBe('true');
    expect(screen.getByTestId('node-wait-2d').getAttribute('data-visited')).toBe('true');
    // (Edges are drawn only once the browser has measured the nodes, which happy-dom does not:
    // the edges' highlighting is checked on the model in graph.test.ts.)
    expect(await seriousViolations(container)).toEqual([]);
    expect(screen.getByText('Would send: welcome, welcome-tips')).toBeTruthy();
    // A real contact's recorded events instead of the script.
    fireEvent.change(screen.getByLabelText(/recorded events/), { target: { value: 'c42' } });
    fireEvent.click(screen.getByRole('button', { name: 'Simulate' }));
    await waitFor(() => expect((sent as { contact_id?: string }).contact_id).toBe('c42'));
    expect((sent as { timeline?: unknown }).timeline).toBeUndefined();
  });
});

describe('ContactJourneys', () => {
  const runs: JourneyRun[] = [
    { contact_id: 'c1', journey_id: 'welcome', version: 3, run_id: 'r1', step: 'wait-2d', status: 'active', waiting_until: '2026-12-09T08:00:00Z', updated_at: '2026-12-07T08:00:00Z' },
    { contact_id: 'c1', journey_id: 'trial', version: 1, run_id: 'r0', step: 'nudge', status: 'converted', updated_at: '2026-11-07T08:00:00Z' },
    { contact_id: 'c1', journey_id: 'webinar', version: 2, run_id: 'r2', step: 'wait-join', status: 'active', waiting_for: 'Webinar Joined', updated_at: '2026-12-07T08:00:00Z' },
  ];
  const api = (onStop?: (p: string) => void) =>
    fakeApi((p, init) => {
      if (p === '/v1/contacts/c1/journeys') return { contact_id: 'c1', runs };
      if (init?.method === 'POST' && p.endsWith('/stop')) {
        onStop?.(p);
        return { status: 'stopped' };
      }
      return undefined;
    });

  it('shows runs with their step and what they wait for, and lets a marketer stop an active run', async () => {
    const stopped: string[] = [];
    const confirm = vi.fn(() => true);
    window.confirm = confirm;
    const { container } = renderAt('/contacts/c1', 'marketer', api((p) => stopped.push(p)));
    const row = (await screen.findByRole('link', { name: 'webinar' })).closest('tr')!;
    expect(row.textContent).toContain('wait-join');
    expect(row.textContent).toContain('for Webinar Joined');
    expect(screen.getByRole('link', { name: 'welcome' }).closest('tr')!.textContent).toContain('until ');
    expect(screen.getByRole('link', { name: 'trial' }).closest('tr')!.textContent).toContain('converted');
    expect(screen.getAllByRole('button', { name: /^Stop / })).toHaveLength(2);
    fireEvent.click(screen.getByRole('button', { name: 'Stop welcome run' }));
    await waitFor(() => expect(stopped).toEqual(['/v1/contacts/c1/journeys/r1/stop']));
    expect(confirm).toHaveBeenCalledTimes(1);
    expect(await seriousViolations(container)).toEqual([]);
  });

  it('gives a viewer no stop button', async () => {
    renderAt('/contacts/c1', 'viewer', api());
    await screen.findByRole('link', { name: 'webinar' });
    expect(screen.queryByRole('button', { name: /^Stop/ })).toBeNull();
  });
});
