import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes } from 'react-router';
import axe from 'axe-core';
import { CampaignsPage } from './CampaignsPage';
import { CampaignPage } from './CampaignPage';
import { CalendarPage, groupByDay, monthRange } from './CalendarPage';
import { createQueryClient } from '@/lib/query-client';
import { SessionContext } from '@/lib/session';
import { ApiError, type ApiClient } from '@/lib/api-client';
import type { CalendarEntry, CampaignResults, CampaignView, DefinitionView, Role } from '@/types/api';

// The drawing needs a canvas, which happy-dom lacks: the stand-in shows
// the series it was given.
vi.mock('@/features/overview/components/UPlotChart', () => ({
  default: ({ title, series }: { title: string; series: { label: string; values: (number | null)[] }[] }) => (
    <div data-testid={`plot-${title}`}>{series.map((s) => `${s.label}=${s.values.join(',')}`).join(';')}</div>
  ),
}));

type Init = { method?: string; body?: unknown; query?: Record<string, string | undefined> };
type Call = { path: string; init?: Init };

const dec: CampaignView = {
  id: 'dec', name: 'December newsletter', audience: { segments: ['engaged'] }, template: 'newsletter-dec', topic: 'newsletter',
  schedule: { type: 'at', at: '2026-12-24T09:00', zone: 'Europe/Berlin' },
  state: 'sending', version: 2, updated_at: '2026-12-07T11:00:00Z', updated_by: 'ann@x',
  lifecycle: { id: 'dec', state: 'sending', content_hash: 'h1', author: 'ann@x', version: 3 },
};
const draft: CampaignView = {
  id: 'jan', name: 'January sale', variants: [{ id: 'a', template: 't1' }, { id: 'b', template: 't2' }],
  schedule: { type: 'recurring', cron: '0 9 ? * MON#1 *', zone: 'Europe/Berlin' },
  state: 'draft', version: 1, updated_at: null, updated_by: null,
  lifecycle: { id: 'jan', state: 'draft', content_hash: 'h2', author: 'ann@x', version: 1 },
};
const results: CampaignResults = {
  id: 'dec', state: 'sending',
  totals: { recipients: 1200, sent: 1100, delivered: 1000, complained: 2, 'click:https://acme.test/pricing': 30, 'click:https://acme.test/blog': 41, unique_opens_human: 300, unique_opens_machine: 120, unique_clicks_human: 50, unique_clicks_machine: 7 },
  variants: {
    a: { recipients: 100, sent: 100, unique_opens_human: 31, unique_opens_machine: 11 },
    b: { recipients: 100, sent: 100, unique_opens_human: 42, unique_opens_machine: 12 },
  },
  occurrences: [
    { id: '2026-12-24T08:00:00Z', counts: { recipients: 1200, sent: 1100 }, queued: 200, phase: 'test', fanout_done: true, started_at: '2026-12-24T08:00:01Z', variants: { a: { sent: 100 }, b: { sent: 100 } } },
  ],
};

function api(routes: (path: string, init?: Init) => unknown, calls: Call[] = []): ApiClient {
  return vi.fn(async (path: string, init?: Init) => {
    calls.push({ path, init });
    const v = routes(path, init);
    if (v instanceof Error) throw v;
    if (v === undefined) throw new ApiError(404, 'not_found', `no route ${path}`);
    return v;
  }) as unknown as ApiClient;
}

function renderAt(path: string, role: Role, client: ApiClient) {
  return render(
    <QueryClientProvider client={createQueryClient()}>
      <SessionContext.Provider value={{ session: { email: 'me@x', role, idToken: 't', expiresAt: 0 }, api: client, signOut: () => {} }}>
        <MemoryRouter initialEntries={[path]}>
          <Routes>
            <Route path="/campaigns" element={<CampaignsPage />} />
            <Route path="/campaigns/:id" element={<CampaignPage />} />
            <Route path="/calendar" element={<CalendarPage initialMonth="2026-12" />} />
          </Routes>
        </MemoryRouter>
      </SessionContext.Provider>
    </QueryClientProvider>,
  );
}

async function noSeriousAxe(container: HTMLElement) {
  const res = await axe.run(container, { rules: { 'color-contrast': { enabled: false } } });
  const serious = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(' | ')}`)).toEqual([]);
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe('CampaignsPage', () => {
  it('lists each campaign with state, schedule and its recipients and sent from the results; no results asked for a draft', async () => {
    const calls: Call[] = [];
    const client = api((p) => (p === '/v1/campaigns' ? { campaigns: [dec, draft] } : p === '/v1/campaigns/dec/results' ? results : undefined), calls);
    const { container } = renderAt('/campaigns', 'viewer', client);
    const row = (await screen.findByRole('link', { name: 'December newsletter' })).closest('tr')!;
    expect(within(row).getByText('Sending')).toBeTruthy();
    expect(within(row).getByText('2026-12-24 09:00 (Europe/Berlin)')).toBeTruthy();
    await within(row).findByText((1200).toLocaleString());
    expect(within(row).getByText((1100).toLocaleString())).toBeTruthy();
    const draftRow = screen.getByRole('link', { name: 'January sale' }).closest('tr')!;
    expect(within(draftRow).getByText('Draft')).toBeTruthy();
    expect(within(draftRow).getByText('Recurring: cron 0 9 ? * MON#1 * (Europe/Berlin)')).toBeTruthy();
    expect(calls.some((c) => c.path === '/v1/campaigns/jan/results')).toBe(false);
    await noSeriousAxe(container);
  });

  it('says how to create a campaign when there is none', async () => {
    renderAt('/campaigns', 'marketer', api((p) => (p === '/v1/campaigns' ? { campaigns: [] } : undefined)));
    expect(await screen.findByRole('heading', { name: 'No campaigns yet' })).toBeTruthy();
    expect(screen.getByText('definitions/campaigns/<id>.json')).toBeTruthy();
    expect(screen.getByText('PUT /v1/campaigns/<id>')).toBeTruthy();
  });
});

function campaignRoutes(c: CampaignView, r: CampaignResults | undefined, onPost?: (p: string, init?: Init) => unknown) {
  const def: DefinitionView = {
    kind: 'campaigns', id: c.id, definition: { id: c.id, name: c.name, template: c.template }, source: 'api', version: c.version,
    overrides_repo: false, differs_from_repo: true, updated_at: null, updated_by: null, etag: 'e1',
  };
  return (p: string, init?: Init) => {
    if (init?.method === 'POST' && !p.endsWith('/validate')) return onPost?.(p, init);
    if (p === `/v1/campaigns/${c.id}`) return c;
    if (p === `/v1/campaigns/${c.id}/results`) return r;
    if (p === `/v1/definitions/campaigns/${c.id}`) return def;
    if (p.endsWith('/versions')) return { versions: [] };
    if (p.endsWith('/validate')) return { kind: 'campaigns', id: c.id, valid: true, problems: [] };
    return undefined;
  };
}

describe('CampaignPage', () => {
  it('shows totals with human and machine opens and clicks apart, and the per-variant and per-occurrence tables', async () => {
    const { container } = renderAt('/campaigns/dec', 'viewer', api(campaignRoutes(dec, results)));
    const totals = await screen.findByLabelText('Totals');
    const fact = (k: string) => within(totals).getByText(k).nextElementSibling!.textContent;
    expect(fact('Human opens')).toBe(`${(300).toLocaleString()} (30.0%)`);
    expect(fact('Machine opens')).toBe(`${(120).toLocaleString()} (12.0%)`);
    expect(fact('Human clicks')).toBe('50 (5.0%)');
    expect(fact('Machine clicks')).toBe('7 (0.7%)');
    expect(fact('Complained')).toBe('2');
    // Clicks per link (h-camp's click:<link> counters), most first.
    const links = screen.getByRole('table', { name: /Clicks per link/ });
    expect(within(links).getAllByRole('rowheader').map((h) => h.textContent)).toEqual(['https://acme.test/blog', 'https://acme.test/pricing']);
    expect(within(links).getAllByRole('cell').map((c) => c.textContent)).toEqual(['41', '30']);
    const byVariant = screen.getByRole('table', { name: 'By variant' });
    const b = within(byVariant).getByRole('rowheader', { name: 'b' }).closest('tr')!;
    const headers = within(byVariant).getAllByRole('columnheader').map((h) => h.textContent);
    const cells = within(b).getAllByRole('cell').map((c) => c.textContent);
    expect(cells[headers.indexOf('Opens (human)') - 1]).toBe('42');
    expect(cells[headers.indexOf('Opens (machine)') - 1]).toBe('12');
    expect(within(screen.getByRole('table', { name: 'By occurrence' })).getByRole('rowheader', { name: '2026-12-24T08:00:00Z' })).toBeTruthy();
    // Over time: the chart of the counters by send day, its numbers also as a table.
    const chart = screen.getByRole('figure', { name: 'Results by send day' });
    const sentCol = within(chart).getAllByRole('columnheader').findIndex((h) => h.textContent === 'Sent');
    const day = within(chart).getByRole('rowheader', { name: '2026-12-24' }).closest('tr')!;
    expect(within(day).getAllByRole('cell')[sentCol - 1].textContent).toBe('1,100');
    expect((await screen.findByTestId('plot-Results by send day')).textContent).toContain('Sent=1100;Delivered=0');
    // A viewer acts on nothing: no lifecycle buttons, no winner picking, the editor read only.
    expect(screen.queryByRole('group', { name: 'Campaign actions' })).toBeNull();
    expect(screen.queryByRole('button', { name: /^Pick / })).toBeNull();
    expect(await screen.findByText(/Read only: changing the campaign needs the marketer role/)).toBeTruthy();
    await noSeriousAxe(container);
  });

  it('offers a marketer the moves the state allows and runs one', async () => {
    const posts: Call[] = [];
    let current = draft;
    const routes = campaignRoutes(draft, { id: 'jan', state: 'draft', totals: {} }, (p, init) => {
      posts.push({ path: p, init });
      current = { ...draft, state: 'scheduled', lifecycle: { ...draft.lifecycle!, state: 'scheduled' } };
      return { id: 'jan', state: 'scheduled', lifecycle: current.lifecycle };
    });
    renderAt('/campaigns/jan', 'marketer', api((p, init) => (p === '/v1/campaigns/jan' && !init?.method ? current : routes(p, init))));
    const group = await screen.findByRole('group', { name: 'Campaign actions' });
    expect(within(group).getAllByRole('button').map((b) => b.textContent)).toEqual(['Schedule', 'Cancel campaign']);
    expect(await screen.findByRole('heading', { name: 'Nothing sent yet' })).toBeTruthy();
    fireEvent.click(within(group).getByRole('button', { name: 'Schedule' }));
    expect(await screen.findByText('Done: the campaign is now Scheduled.')).toBeTruthy();
    expect(posts.map((c) => c.path)).toEqual(['/v1/campaigns/jan/schedule']);
    // The page reloads the campaign: a scheduled one can be paused, not scheduled again.
    await waitFor(() =>
      expect(within(screen.getByRole('group', { name: 'Campaign actions' })).getAllByRole('button').map((b) => b.textContent)).toEqual(['Pause', 'Cancel campaign']),
    );
  });

  it('lets an approver approve a campaign awaiting approval, and shows the API refusal (self approval)', async () => {
    const waiting: CampaignView = { ...draft, state: 'awaiting_approval', lifecycle: { ...draft.lifecycle!, state: 'awaiting_approval' } };
    renderAt('/campaigns/jan', 'approver', api(campaignRoutes(waiting, { id: 'jan', state: 'awaiting_approval', totals: {} }, () =>
      new ApiError(409, 'self_approval', 'the author cannot approve their own campaign'))));
    const group = await screen.findByRole('group', { name: 'Campaign actions' });
    expect(within(group).getAllByRole('button').map((b) => b.textContent)).toEqual(['Approve', 'Cancel campaign']);
    fireEvent.click(within(group).getByRole('button', { name: 'Approve' }));
    expect((await screen.findByRole('alert')).textContent).toContain('the author cannot approve their own campaign');
  });

  it('does not offer approval to a marketer, and asks before cancelling', async () => {
    const posts: string[] = [];
    const waiting: CampaignView = { ...draft, state: 'awaiting_approval', lifecycle: { ...draft.lifecycle!, state: 'awaiting_approval' } };
    renderAt('/campaigns/jan', 'marketer', api(campaignRoutes(waiting, undefined, (p) => (posts.push(p), { id: 'jan', state: 'cancelled', lifecycle: waiting.lifecycle }))));
    const group = await screen.findByRole('group', { name: 'Campaign actions' });
    expect(within(group).getAllByRole('button').map((b) => b.textContent)).toEqual(['Cancel campaign']);
    // happy-dom has no window.confirm: stand one in that says no, then yes.
    const confirm = vi.fn().mockReturnValueOnce(false).mockReturnValueOnce(true);
    vi.stubGlobal('confirm', confirm);
    fireEvent.click(within(group).getByRole('button', { name: 'Cancel campaign' }));
    expect(confirm).toHaveBeenCalledTimes(1);
    expect(posts).toEqual([]);
    fireEvent.click(within(group).getByRole('button', { name: 'Cancel campaign' }));
    await waitFor(() => expect(posts).toEqual(['/v1/campaigns/jan/cancel']));
  });

  it('lets a marketer pick the winner of an A/B test waiting for one', async () => {
    const posts: Call[] = [];
    renderAt('/campaigns/dec', 'marketer', api(campaignRoutes(dec, results, (p, init) => (posts.push({ path: p, init }), { id: 'dec', occurrence: '2026-12-24T08:00:00Z', winner: 'b' }))));
    fireEvent.click(await screen.findByRole('button', { name: 'Pick b' }));
    await waitFor(() => expect(posts).toEqual([{ path: '/v1/campaigns/dec/winner', init: { method: 'POST', body: { occurrence: '2026-12-24T08:00:00Z', variant: 'b' } } }]));
  });

  it('edits the definition in the one definition editor', async () => {
    renderAt('/campaigns/dec', 'marketer', api(campaignRoutes(dec, results)));
    const box = (await screen.findByLabelText('Campaign (JSON)')) as HTMLTextAreaElement;
    await waitFor(() => expect(box.value).toContain('"newsletter-dec"'));
    expect(box.readOnly).toBe(false);
  });
});

describe('CalendarPage', () => {
  const entries: CalendarEntry[] = [
    { campaign: 'dec', name: 'December newsletter', state: 'scheduled', occurrence: 'o1', at: '2026-12-24T08:00:00Z', schedule: 'at', audience_estimate: null },
    { campaign: 'wk', name: 'Weekly', state: 'sending', occurrence: 'o2', at: '2026-12-07T09:00:00Z', schedule: 'recurring', audience_estimate: 450 },
    { campaign: 'tz', name: 'Local nine', state: 'scheduled', occurrence: 'o3', at: '2026-12-07T14:00:00Z', schedule: 'recipient_time', audience_estimate: 80,
      waves: [{ at: '2026-12-07T14:00:00Z', zones: ['Pacific/Kiritimati'] }, { at: '2026-12-07T21:00:00Z', zones: ['UTC'] }] },
  ];

  it('asks for the month and lists its planned sends by day', async () => {
    const calls: Call[] = [];
    const { container } = renderAt('/calendar', 'viewer', api((p, init) => (p === '/v1/calendar' ? { from: init!.query!.from, to: init!.query!.to, entries } : undefined), calls));
    const days = await screen.findAllByRole('region');
    expect(days.map((d) => d.getAttribute('aria-label'))).toHaveLength(2);
    expect(within(days[0]).getAllByRole('link').map((a) => a.textContent)).toEqual(['Weekly', 'Local nine']);
    expect(within(days[0]).getByText(/about 450 recipients; recurring/)).toBeTruthy();
    expect(within(days[0]).getByText(/2 waves by recipient time/)).toBeTruthy();
    expect(within(days[1]).getByText(/audience not known before a first send/)).toBeTruthy();
    expect(calls[0].init?.query).toEqual({ from: '2026-12-01', to: '2027-01-01' });
    fireEvent.change(screen.getByLabelText('Month'), { target: { value: '2027-02' } });
    await waitFor(() => expect(calls.at(-1)?.init?.query).toEqual({ from: '2027-02-01', to: '2027-03-01' }));
    await noSeriousAxe(container);
  });

  it('says when nothing is planned', async () => {
    renderAt('/calendar', 'viewer', api((p) => (p === '/v1/calendar' ? { from: '', to: '', entries: [] } : undefined)));
    expect(await screen.findByRole('heading', { name: 'No sends planned this month' })).toBeTruthy();
  });

  it('computes month ranges and groups by UTC day', () => {
    expect(monthRange('2026-12')).toEqual({ from: '2026-12-01', to: '2027-01-01' });
    expect(monthRange('2027-01')).toEqual({ from: '2027-01-01', to: '2027-02-01' });
    expect(groupByDay(entries).map(([d, es]) => [d, es.map((e) => e.campaign)])).toEqual([
      ['2026-12-07', ['wk', 'tz']],
      ['2026-12-24', ['dec']],
    ]);
  });
});
