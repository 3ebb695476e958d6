import { describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter } from 'react-router';
import axe from 'axe-core';
import { OverviewPage } from './OverviewPage';
import { createQueryClient } from '@/lib/query-client';
import { SessionContext } from '@/lib/session';
import { ApiError, type ApiClient } from '@/lib/api-client';
import type { FunnelReport, OverviewReport, SeriesName } from '@/types/api';

// The drawing itself needs a canvas, which happy-dom lacks: the stand-in
// shows what it was given, so the tests see the series each chart draws.
vi.mock('../components/UPlotChart', () => ({
  default: ({ title, series }: { title: string; series: { label: string; values: (number | null)[] }[] }) => (
    <div data-testid={`plot-${title}`}>{series.map((s) => `${s.label}=${s.values.map((v) => (v === null ? '-' : v)).join(',')}`).join(';')}</div>
  ),
}));

const NOW = new Date('2026-12-07T15:00:00Z');
const days = ['2026-12-06', '2026-12-07'];
const names: SeriesName[] = [
  'new_contacts', 'identified_leads', 'events', 'form_fills', 'emails_sent', 'emails_delivered', 'emails_bounced',
  'emails_complained', 'opens_human', 'opens_machine', 'clicks_human', 'clicks_machine', 'unsubscribes',
];

function overview(values: Partial<Record<SeriesName, number[]>>, breaker: Partial<OverviewReport['breaker']> = {}): OverviewReport {
  const series = Object.fromEntries(names.map((n) => [n, values[n] ?? [0, 0]])) as Record<SeriesName, number[]>;
  const totals = Object.fromEntries(names.map((n) => [n, series[n][0] + series[n][1]])) as Record<SeriesName, number>;
  return {
    from: days[0], to: days[1], time_zone: 'UTC', days, series, totals,
    breaker: {
      state: 'closed', window_hours: 24, min_sends: 100, bounce_rate_threshold: 0.05, complaint_rate_threshold: 0.001,
      sent: 40, bounces: 1, complaints: 0, bounce_rate: 0.025, complaint_rate: 0, ...breaker,
    },
  };
}

const funnel: FunnelReport = {
  from: days[0], to: days[1], time_zone: 'UTC',
  stages: [
    { stage: 'subscriber', reached: 4, conversion_to_next: 0.5, median_hours_to_next: 30, samples_to_next: 2 },
    { stage: 'lead', reached: 2, conversion_to_next: 0.5, median_hours_to_next: 0.5, samples_to_next: 1 },
    { stage: 'mql', reached: 1, conversion_to_next: 0, median_hours_to_next: null, samples_to_next: 0 },
    { stage: 'sql', reached: 0, conversion_to_next: null, median_hours_to_next: null, samples_to_next: 0 },
    { stage: 'opportunity', reached: 0, conversion_to_next: null, median_hours_to_next: null, samples_to_next: 0 },
    { stage: 'customer', reached: 0, conversion_to_next: null, median_hours_to_next: null, samples_to_next: 0 },
  ],
};

type Init = { query?: Record<string, string | undefined> };

function renderPage(answer: (path: string, init?: Init) => unknown) {
  const calls: { path: string; query?: Record<string, string | undefined> }[] = [];
  const api = (async (path: string, init?: Init) => {
    calls.push({ path, query: init?.query });
    return answer(path, init);
  }) as ApiClient;
  const view = render(
    <QueryClientProvider client={createQueryClient()}>
      <SessionContext.Provider value={{ session: { email: 'v@x', role: 'viewer', idToken: 't', expiresAt: 0 }, api, signOut: () => {} }}>
        <MemoryRouter>
          <OverviewPage now={() => NOW} />
        </MemoryRouter>
      </SessionContext.Provider>
    </QueryClientProvider>,
  );
  return { calls, container: view.container };
}

const withData = overview({
  new_contacts: [3, 1], identified_leads: [1, 1], events: [40, 12], form_fills: [2, 0],
  emails_sent: [20, 0], emails_delivered: [19, 0], emails_bounced: [1, 0], opens_human: [5, 2], opens_machine: [7, 1],
});

describe('OverviewPage', () => {
  it('draws the counts as charts, human and machine apart, rates against the thresholds', async () => {
    const { calls } = renderPage((path) => (path.endsWith('/funnel') ? funnel : withData));
    expect((await screen.findByTestId('plot-Contacts')).textContent).toContain('New contacts=3,1;Identified leads=1,1');
    expect((screen.getByTestId('plot-Opens')).textContent).toContain('Human opens=5,2;Machine opens=7,1');
    // 1 bounce in 20 sent is 5%; a day with nothing sent has no rate; the threshold is a line.
    expect((screen.getByTestId('plot-Bounce rate')).textContent).toContain('Bounce rate=5,-;Breaker threshold=5,5');
    expect((screen.getByTestId('plot-Complaint rate')).textContent).toContain('Breaker threshold=0.1,0.1');
    expect((screen.getByRole('heading', { name: /Circuit breaker/ })).textContent).toContain('closed');
    expect(screen.getByText(/pauses at 5.00%/)).toBeTruthy();
    // The numbers are there for screen readers too.
    expect((screen.getByRole('table', { name: /Contacts, per day/ })).textContent).toContain('2026-12-0631');
    // Totals at a glance.
    expect(within(screen.getByRole('list', { name: 'Totals for the period' })).getByText('52')).toBeTruthy();
    // The funnel: each bar says its numbers.
    expect(await screen.findByRole('listitem', { name: /lead: 2 reached; 50.0% went on to mql, median 30 min \(1 moves\)/ })).toBeTruthy();
    expect(screen.getByRole('listitem', { name: /subscriber: 4 reached; 50.0% went on to lead, median 30 h/ })).toBeTruthy();
    // The default period is the last 30 UTC days.
    expect(calls[0].query).toEqual({ from: '2026-11-08', to: '2026-12-07' });
  });

  it('shows an open breaker and why', async () => {
    renderPage((path) => (path.endsWith('/funnel') ? funnel : overview({ events: [1, 0] }, { state: 'open', reason: 'bounce rate 8.00% over 1000 sends reached the 5.00% threshold' })));
    expect((await screen.findByRole('alert')).textContent).toContain('bounce rate 8.00% over 1000 sends');
    expect((screen.getByRole('heading', { name: /Circuit breaker/ })).textContent).toContain('open: bulk mail paused');
  });

  it('says what to do when nothing was counted', async () => {
    renderPage((path) => (path.endsWith('/funnel') ? funnel : overview({})));
    expect(await screen.findByRole('heading', { name: 'Nothing counted in this period yet' })).toBeTruthy();
    expect(screen.getByText(/Add the tracking snippet/)).toBeTruthy();
    expect(screen.queryByTestId('plot-Contacts')).toBeNull();
  });

  it("shows the API's message when a report fails", async () => {
    renderPage((path) => {
      if (path.endsWith('/funnel')) return funnel;
      throw new ApiError(400, 'invalid_range', 'invalid range: to 2026-12-01 is before from 2026-12-07');
    });
    expect((await screen.findByRole('alert')).textContent).toContain('invalid range: to 2026-12-01 is before from 2026-12-07');
  });

  it('asks for the period chosen, and checks a custom range before asking', async () => {
    const user = userEvent.setup();
    const { calls } = renderPage((path) => (path.endsWith('/funnel') ? funnel : withData));
    await screen.findByTestId('plot-Contacts');
    await user.selectOptions(screen.getByRole('combobox', { name: 'Period' }), 'Today');
    await vi.waitFor(() => expect(calls.some((c) => c.query?.from === '2026-12-07' && c.query.to === '2026-12-07')).toBe(true));
    await user.selectOptions(screen.getByRole('combobox', { name: 'Period' }), 'Last 7 days');
    await vi.waitFor(() => expect(calls.some((c) => c.query?.from === '2026-12-01' && c.query.to === '2026-12-07')).toBe(true));

    await user.selectOptions(screen.getByRole('combobox', { name: 'Period' }), 'Custom');
    const from = screen.getByLabelText('From');
    const to = screen.getByLabelText('To');
    await user.clear(from);
    await user.type(from, '2026-12-05');
    await user.clear(to);
    await user.type(to, '2026-12-01');
    expect((screen.getByRole('alert')).textContent).toContain('The end date is before the start date.');
    expect((screen.getByRole('button', { name: 'Show' }) as HTMLButtonElement).disabled).toBe(true);
    await user.clear(to);
    await user.type(to, '2026-12-06');
    await user.click(screen.getByRole('button', { name: 'Show' }));
    await vi.waitFor(() => expect(calls.some((c) => c.query?.from === '2026-12-05' && c.query.to === '2026-12-06')).toBe(true));
  });

  it('has no serious axe violations', async () => {
    const { container } = renderPage((path) => (path.endsWith('/funnel') ? funnel : withData));
    await screen.findByTestId('plot-Contacts');
    await screen.findByRole('listitem', { name: /^lead:/ });
    const res = await axe.run(container, { rules: { 'color-contrast': { enabled: false } } });
    const serious = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(' | ')}`)).toEqual([]);
  });
});
