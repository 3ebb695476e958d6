import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import axe from 'axe-core';
import { CampaignsPage } from './CampaignsPage';
import { CampaignPage } from './CampaignPage';
import { CalendarPage, addDays, addMonths, dayLabel, groupByDay, isDay, isMonth, monthRange, monthWeeks, planByDay, plannedEmails, plannedTotal, weekRange, weekStart } from './CalendarPage';
import { createQueryClient } from '@/lib/query-client';
import { SessionContext } from '@/lib/session';
import { ApiError, type ApiClient } from '@/lib/api-client';
import type { CalendarEntry, CalendarJourneyVolume, CampaignResults, CampaignView, DefinitionView, Role } from '@/types/api';

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

/** The router's current search, for tests of what the calendar keeps in the URL. */
function LocationProbe() {
  return <output data-testid="location">{useLocation().search}</output>;
}

function renderAt(path: string, role: Role, client: ApiClient) {
  return render(
    <QueryClientProvider client={createQueryClient()}>
      <SessionContext.Provider value={{ session: { email: 'me@x', role, idToken: 't', expiresAt: 0 }, api: client, signOut: () => {} }}>
        <MemoryRouter initialEntries={[path]}>
          <Routes>
            <Route path="/campaigns" element={<CampaignsPage />} />
            <Route path="/campaigns/:id" element={<CampaignPage />} />
            <Route path="/calendar" element={<><CalendarPage today="2026-12-07" /><LocationProbe /></>} />
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
    { campaign: 'tz', name: 'Local nine', state: 'scheduled', occurrence: 'o3', at: '2026-12-07T14:00:00Z', schedule: 'recipient_time', audience_estimate: 80,
      waves: [{ at: '2026-12-07T14:00:00Z', zones: ['Pacific/Kiritimati'] }, { at: '2026-12-07T21:00:00Z', zones: ['UTC'] }] },
    { campaign: 'wk', name: 'Weekly', state: 'sending', occurrence: 'o2', at: '2026-12-07T09:00:00Z', schedule: 'recurring', audience_estimate: 450 },
  ];
  const welcome: CalendarJourneyVolume = { journey: 'welcome', name: 'Newsletter welcome', status: 'live', day: '2026-12-09', runs: 3, emails: 2 };

  /** Answers every calendar request with what is planned in its range; calls records the requests. */
  function calendarApi(calls: Call[], planned: { entries: CalendarEntry[]; journeys?: CalendarJourneyVolume[] } = { entries, journeys: [welcome] }) {
    return api((p, init) => {
      if (p !== '/v1/calendar') return undefined;
      const { from = '', to = '' } = init!.query!;
      const inRange = (day: string) => day >= from && day < to;
      return {
        from, to,
        entries: planned.entries.filter((e) => inRange(e.at.slice(0, 10))),
        ...(planned.journeys ? { journeys: planned.journeys.filter((j) => inRange(j.day)) } : {}),
      };
    }, calls);
  }

  /** The grid's cell of day, and where it sits: its week row (0 = first) and column (0 = Monday). */
  function dayCell(day: string) {
    const cell = screen.getByRole('cell', { name: dayLabel(day) });
    const row = cell.closest('tr')!;
    return { cell, week: [...row.parentElement!.children].indexOf(row), column: [...row.children].indexOf(cell) };
  }
  const search = () => new URLSearchParams(screen.getByTestId('location').textContent!);

  it('shows the month as a Monday-first grid with each send and journey volume on its day', async () => {
    const calls: Call[] = [];
    const { container } = renderAt('/calendar', 'viewer', calendarApi(calls));
    const table = await screen.findByRole('table', { name: /December 2026/ });
    expect(calls[0].init?.query).toEqual({ from: '2026-12-01', to: '2027-01-01' });
    expect(within(table).getAllByRole('columnheader').map((h) => h.textContent)).toEqual(
      ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'].map((w) => expect.stringContaining(w)),
    );
    // December 2026 starts on a Tuesday: the grid opens on Monday 30 November, dimmed, and ends on Sunday 3 January.
    expect(dayCell('2026-11-30')).toMatchObject({ week: 0, column: 0 });
    expect(dayCell('2026-11-30').cell.className).toContain('calendar-outside');
    expect(dayCell('2026-12-01')).toMatchObject({ week: 0, column: 1 });
    expect(dayCell('2026-12-01').cell.className).not.toContain('calendar-outside');
    expect(dayCell('2027-01-03')).toMatchObject({ week: 4, column: 6 });
    expect(within(table).getAllByRole('row')).toHaveLength(1 + 5);

    // Monday 7 December (today): both sends in time order, whatever the API's order.
    const mon = dayCell('2026-12-07');
    expect(mon).toMatchObject({ week: 1, column: 0 });
    expect(mon.cell.getAttribute('aria-current')).toBe('date');
    expect(within(mon.cell).getAllByRole('link').map((a) => a.textContent)).toEqual(['Weekly', 'Local nine']);
    expect(within(mon.cell).getByText(/about 450 recipients; recurring/)).toBeTruthy();
    expect(within(mon.cell).getByText(/2 waves by recipient time/)).toBeTruthy();
    expect(within(mon.cell).getAllByRole('listitem')[0].querySelector('time')!.getAttribute('datetime')).toBe('2026-12-07T09:00:00Z');
    expect(within(mon.cell).getByText('≈530 emails planned')).toBeTruthy();

    // Wednesday 9 December: the journey's volume, linking to the journey.
    const wed = dayCell('2026-12-09');
    expect(wed).toMatchObject({ week: 1, column: 2 });
    const item = within(wed.cell).getByRole('link', { name: 'Newsletter welcome' }).closest('li')!;
    expect(item.textContent).toBe('Journey Newsletter welcome: up to 2 emails (3 runs move on)');
    expect(within(wed.cell).getByRole('link', { name: 'Newsletter welcome' }).getAttribute('href')).toBe('/journeys/welcome');
    expect(within(wed.cell).getByText('up to 2 emails planned')).toBeTruthy();

    const thu24 = dayCell('2026-12-24');
    expect(thu24).toMatchObject({ week: 3, column: 3 });
    expect(within(thu24.cell).getByText(/audience not known before a first send/)).toBeTruthy();
    expect(thu24.cell.querySelector('.calendar-total')).toBeNull();
    expect(within(dayCell('2026-12-08').cell).queryAllByRole('listitem')).toEqual([]);
    await noSeriousAxe(container);
  });

  it('places days right in a month that starts on a Sunday and in one that starts on a Monday', async () => {
    const nov: CalendarEntry = { ...entries[2], occurrence: 'n1', at: '2026-11-01T10:00:00Z' };
    const feb: CalendarEntry = { ...entries[2], occurrence: 'f1', at: '2027-02-01T10:00:00Z' };
    const journeys = [{ ...welcome, day: '2026-11-01' }, { ...welcome, day: '2027-02-28', runs: 1, emails: 1 }];
    renderAt('/calendar?view=month&month=2026-11', 'viewer', calendarApi([], { entries: [nov, feb], journeys }));
    await screen.findByRole('table', { name: /November 2026/ });
    // 1 November 2026 is a Sunday: the first row is Monday 26 October to Sunday 1 November, 6 rows in all.
    const sun = dayCell('2026-11-01');
    expect(sun).toMatchObject({ week: 0, column: 6 });
    expect(dayCell('2026-10-26')).toMatchObject({ week: 0, column: 0 });
    expect(within(sun.cell).getByRole('link', { name: 'Weekly' })).toBeTruthy();
    expect(within(sun.cell).getByRole('link', { name: 'Newsletter welcome' })).toBeTruthy();
    expect(dayCell('2026-12-06')).toMatchObject({ week: 5, column: 6 });

    // December and January plan nothing here: the empty state, then February's grid.
    for (let i = 0; i < 3; i++) fireEvent.click(screen.getByRole('button', { name: 'Next month' }));
    const table = await screen.findByRole('table', { name: /February 2027/ });
    // 1 February 2027 is a Monday and the month has 28 days: exactly 4 rows, nothing outside it.
    const mon = dayCell('2027-02-01');
    expect(mon).toMatchObject({ week: 0, column: 0 });
    expect(within(mon.cell).getByRole('link', { name: 'Weekly' })).toBeTruthy();
    const last = dayCell('2027-02-28');
    expect(last).toMatchObject({ week: 3, column: 6 });
    expect(within(last.cell).getByRole('listitem').textContent).toBe('Journey Newsletter welcome: up to 1 email (1 run moves on)');
    expect(within(table).getAllByRole('row')).toHaveLength(1 + 4);
    expect(table.querySelectorAll('.calendar-outside')).toHaveLength(0);
  });

  it('moves by month with the buttons and the month input, keeping the month in the URL', async () => {
    const calls: Call[] = [];
    renderAt('/calendar', 'viewer', calendarApi(calls));
    await screen.findByRole('table', { name: /December 2026/ });
    fireEvent.click(screen.getByRole('button', { name: 'Previous month' }));
    expect(await screen.findByRole('heading', { name: 'No sends planned this month' })).toBeTruthy();
    expect(calls.at(-1)?.init?.query).toEqual({ from: '2026-11-01', to: '2026-12-01' });
    expect((screen.getByLabelText('Month') as HTMLInputElement).value).toBe('2026-11');
    expect(Object.fromEntries(search())).toEqual({ view: 'month', month: '2026-11' });
    fireEvent.change(screen.getByLabelText('Month'), { target: { value: '2027-02' } });
    await waitFor(() => expect(calls.at(-1)?.init?.query).toEqual({ from: '2027-02-01', to: '2027-03-01' }));
    expect(Object.fromEntries(search())).toEqual({ view: 'month', month: '2027-02' });
  });

  it('shows a week of 7 days, asks only for that week, and moves by week', async () => {
    const calls: Call[] = [];
    const { container } = renderAt('/calendar?view=week&date=2026-12-09', 'viewer', calendarApi(calls));
    const table = await screen.findByRole('table', { name: /^Week of .*7.*13.*2026, by UTC day$/ });
    // Wednesday 9 December's week: Monday 7 to the next Monday, 14 December.
    expect(calls.map((c) => c.init?.query)).toEqual([{ from: '2026-12-07', to: '2026-12-14' }]);
    expect(within(table).getAllByRole('cell')).toHaveLength(7);
    expect(dayCell('2026-12-07')).toMatchObject({ week: 0, column: 0 });
    expect(dayCell('2026-12-13')).toMatchObject({ week: 0, column: 6 });
    expect(within(dayCell('2026-12-07').cell).getAllByRole('link').map((a) => a.textContent)).toEqual(['Weekly', 'Local nine']);
    expect(within(dayCell('2026-12-09').cell).getByRole('link', { name: 'Newsletter welcome' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Week' }).getAttribute('aria-pressed')).toBe('true');
    await noSeriousAxe(container);

    fireEvent.click(screen.getByRole('button', { name: 'Next week' }));
    await waitFor(() => expect(calls.at(-1)?.init?.query).toEqual({ from: '2026-12-14', to: '2026-12-21' }));
    expect(Object.fromEntries(search())).toEqual({ view: 'week', date: '2026-12-14' });
    fireEvent.click(screen.getByRole('button', { name: 'Next week' }));
    // The week of 21 December holds the 24th's send; the last week of the year crosses into January.
    expect(within(await screen.findByRole('cell', { name: dayLabel('2026-12-24') })).getByRole('link', { name: 'December newsletter' })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Next week' }));
    await waitFor(() => expect(calls.at(-1)?.init?.query).toEqual({ from: '2026-12-28', to: '2027-01-04' }));
    fireEvent.click(screen.getByRole('button', { name: 'Previous week' }));
    await waitFor(() => expect(search().get('date')).toBe('2026-12-21'));
  });

  it('switches between month and week, keeping the place and the view in the URL', async () => {
    const calls: Call[] = [];
    renderAt('/calendar', 'viewer', calendarApi(calls));
    await screen.findByRole('table', { name: /December 2026/ });
    expect(screen.getByRole('button', { name: 'Month' }).getAttribute('aria-pressed')).toBe('true');
    // The month holds today (Monday 7 December): the week is today's.
    fireEvent.click(screen.getByRole('button', { name: 'Week' }));
    await screen.findByRole('table', { name: /Week of/ });
    expect(Object.fromEntries(search())).toEqual({ view: 'week', date: '2026-12-07' });
    expect(calls.at(-1)?.init?.query).toEqual({ from: '2026-12-07', to: '2026-12-14' });
    fireEvent.click(screen.getByRole('button', { name: 'Month' }));
    await screen.findByRole('table', { name: /December 2026/ });
    expect(Object.fromEntries(search())).toEqual({ view: 'month', month: '2026-12' });
    // Another month: its week is the one that holds its 1st.
    fireEvent.click(screen.getByRole('button', { name: 'Next month' }));
    await waitFor(() => expect(calls.at(-1)?.init?.query).toEqual({ from: '2027-01-01', to: '2027-02-01' }));
    fireEvent.click(screen.getByRole('button', { name: 'Week' }));
    await waitFor(() => expect(calls.at(-1)?.init?.query).toEqual({ from: '2026-12-28', to: '2027-01-04' }));
    expect(Object.fromEntries(search())).toEqual({ view: 'week', date: '2027-01-01' });
    // Back a week, then to the month of the week shown: December's grid again.
    fireEvent.click(screen.getByRole('button', { name: 'Previous week' }));
    await screen.findByRole('cell', { name: dayLabel('2026-12-24') });
    fireEvent.click(screen.getByRole('button', { name: 'Month' }));
    await screen.findByRole('table', { name: /December 2026/ });
    expect(Object.fromEntries(search())).toEqual({ view: 'month', month: '2026-12' });
  });

  it('says when nothing is planned', async () => {
    renderAt('/calendar', 'viewer', calendarApi([], { entries: [] }));
    expect(await screen.findByRole('heading', { name: 'No sends planned this month' })).toBeTruthy();
  });

  it('shows the week, not the empty state, when only a journey plans emails', async () => {
    renderAt('/calendar?view=week&date=2026-12-09', 'viewer', calendarApi([], { entries: [], journeys: [welcome] }));
    const wed = await screen.findByRole('cell', { name: dayLabel('2026-12-09') });
    expect(within(wed).getByRole('link', { name: 'Newsletter welcome' })).toBeTruthy();
    expect(screen.queryByRole('heading', { name: /No sends planned/ })).toBeNull();
  });

  it('computes ranges, weeks and the plan of each UTC day', () => {
    expect(monthRange('2026-12')).toEqual({ from: '2026-12-01', to: '2027-01-01' });
    expect(monthRange('2027-01')).toEqual({ from: '2027-01-01', to: '2027-02-01' });
    expect(addMonths('2027-01', -1)).toBe('2026-12');
    expect(addMonths('2026-12', 1)).toBe('2027-01');
    expect(addMonths('2026-12', -13)).toBe('2025-11');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(weekStart('2026-12-07')).toBe('2026-12-07'); // a Monday
    expect(weekStart('2026-12-13')).toBe('2026-12-07'); // a Sunday
    expect(weekStart('2027-01-01')).toBe('2026-12-28');
    expect(weekRange('2026-12-09')).toEqual({ from: '2026-12-07', to: '2026-12-14' });
    const nov = monthWeeks('2026-11'); // starts on a Sunday
    expect(nov.map((w) => w[0])).toEqual(['2026-10-26', '2026-11-02', '2026-11-09', '2026-11-16', '2026-11-23', '2026-11-30']);
    expect(nov.every((w) => w.length === 7)).toBe(true);
    expect(nov[5][6]).toBe('2026-12-06');
    expect(monthWeeks('2027-02').map((w) => [w[0], w[6]])).toEqual([ // starts on a Monday, 28 days
      ['2027-02-01', '2027-02-07'], ['2027-02-08', '2027-02-14'], ['2027-02-15', '2027-02-21'], ['2027-02-22', '2027-02-28'],
    ]);
    expect(monthWeeks('2026-12').at(-1)).toEqual(['2026-12-28', '2026-12-29', '2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02', '2027-01-03']);
    expect([isDay('2026-12-07'), isDay('2026-02-30'), isDay('2026-12'), isDay(null)]).toEqual([true, false, false, false]);
    expect([isMonth('2026-12'), isMonth('2026-13'), isMonth('2026-12-01'), isMonth(null)]).toEqual([true, false, false, false]);

    expect(groupByDay(entries).map(([d, es]) => [d, es.map((e) => e.campaign)])).toEqual([
      ['2026-12-07', ['tz', 'wk']],
      ['2026-12-24', ['dec']],
    ]);
    const plan = planByDay({ from: '2026-12-01', to: '2027-01-01', entries, journeys: [welcome, { ...welcome, journey: 'reorder', name: 'Reorder', day: '2026-12-07', runs: 5, emails: 4 }] });
    expect([...plan.keys()].sort()).toEqual(['2026-12-07', '2026-12-09', '2026-12-24']);
    expect(plan.get('2026-12-07')!.entries.map((e) => e.campaign)).toEqual(['wk', 'tz']);
    expect(plan.get('2026-12-07')!.journeys.map((j) => j.journey)).toEqual(['reorder']);
    expect(plannedEmails(plan.get('2026-12-07')!)).toEqual({ campaigns: 450 + 80, journeys: 4, unknown: 0 });
    expect(plannedTotal(plannedEmails(plan.get('2026-12-07')!))).toBe('≈530 + up to 4 emails planned');
    expect(plannedEmails(plan.get('2026-12-24')!)).toEqual({ campaigns: 0, journeys: 0, unknown: 1 });
    expect(plannedTotal(plannedEmails(plan.get('2026-12-24')!))).toBeNull();
    // An older server without the journeys field: no journeys, no failure.
    expect(planByDay({ from: '2026-12-01', to: '2027-01-01', entries }).get('2026-12-09')).toBeUndefined();
  });
});
