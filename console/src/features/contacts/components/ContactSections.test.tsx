import { describe, expect, it } from 'vitest';
import { render, screen, fireEvent } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClientProvider } from '@tanstack/react-query';
import { Messages } from './Messages';
import ScoreChart from './ScoreChart';
import { QueryState } from '@/components/query-state';
import { createQueryClient } from '@/lib/query-client';
import { SessionContext } from '@/lib/session';
import { ApiError, type ApiClient } from '@/lib/api-client';
import type { MessagePage, ScorePoint } from '@/types/api';

function withApi(api: ApiClient, ui: React.ReactNode) {
  render(
    <QueryClientProvider client={createQueryClient()}>
      <SessionContext.Provider value={{ session: { email: 'me@x', role: 'viewer', idToken: 't', expiresAt: 0 }, api, signOut: () => {} }}>{ui}</SessionContext.Provider>
    </QueryClientProvider>,
  );
}

const page1: MessagePage = {
  contact_id: 'c1',
  messages: [
    {
      send_id: 's2', template_id: 'lead-nurture-1', kind: 'marketing', source: { campaign: 'spring' }, status: 'opened', state: 'delivered',
      claimed_at: '2026-12-05T10:00:00Z', sent_at: '2026-12-05T10:00:01Z', updated_at: '2026-12-05T10:01:00Z',
      opened_at: '2026-12-05T11:00:00Z', machine_opened_at: '2026-12-05T10:00:05Z',
    },
  ],
  next: 'cursor-1',
};
const page2: MessagePage = {
  contact_id: 'c1',
  messages: [
    { send_id: 's1', template_id: 'welcome', kind: 'marketing', source: { api: 'k1' }, status: 'bounced', state: 'bounced', reason: 'mailbox does not exist', claimed_at: '2026-12-01T10:00:00Z', updated_at: '2026-12-01T10:00:09Z' },
  ],
};

describe('Messages', () => {
  it('lists sends with their status, human and machine opens apart, and pages to the last', async () => {
    const calls: (string | undefined)[] = [];
    withApi(
      (async (_path: string, init?: { query?: Record<string, string | undefined> }) => {
        calls.push(init?.query?.cursor);
        return init?.query?.cursor === 'cursor-1' ? page2 : page1;
      }) as ApiClient,
      <Messages contactId="c1" />,
    );
    expect(await screen.findByText('lead-nurture-1')).toBeTruthy();
    expect(screen.getByText('opened')).toBeTruthy();
    expect(screen.getByText(/^Person: opened/)).toBeTruthy();
    expect(screen.getByText(/^Machine: opened/).textContent).toContain('not counted');
    expect(screen.getByText('marketing, campaign spring')).toBeTruthy();
    await userEvent.setup().click(screen.getByRole('button', { name: 'Older messages' }));
    expect(await screen.findByText('welcome')).toBeTruthy();
    expect(screen.getByText('bounced')).toBeTruthy();
    expect(screen.getByText('mailbox does not exist')).toBeTruthy();
    expect(screen.getByText('That is every message.')).toBeTruthy();
    expect(calls).toEqual([undefined, 'cursor-1']);
  });

  it('says what to do when nothing was sent, and shows the API\'s message on failure', async () => {
    withApi((async () => ({ contact_id: 'c1', messages: [] })) as ApiClient, <Messages contactId="c1" />);
    expect(await screen.findByRole('heading', { name: 'No messages sent yet' })).toBeTruthy();
    expect(screen.getByText(/send one with POST \/v1\/messages/)).toBeTruthy();
  });
});

describe('QueryState', () => {
  it('shows the API\'s message when the first load fails, not a blank block', () => {
    render(
      <QueryState query={{ data: undefined, error: new ApiError(404, 'not_found', 'no contact c9'), isPending: false }}>{() => <p>content</p>}</QueryState>,
    );
    expect(screen.getByRole('alert').textContent).toContain('no contact c9');
    expect(screen.queryByText('content')).toBeNull();
  });

  it('keeps the data and adds the error when a later page fails', () => {
    render(<QueryState query={{ data: [1], error: new Error('network down'), isPending: false }}>{(d) => <p>{d.length} rows</p>}</QueryState>);
    expect(screen.getByText('1 rows')).toBeTruthy();
    expect(screen.getByRole('alert').textContent).toContain('network down');
  });

  it('loads, then shows the empty state with its next step', () => {
    const { rerender } = render(<QueryState query={{ data: undefined as number[] | undefined, error: null, isPending: true }}>{() => null}</QueryState>);
    expect(screen.getByRole('status').textContent).toContain('Loading');
    rerender(
      <QueryState query={{ data: [] as number[], error: null, isPending: false }} isEmpty={(d) => d.length === 0} empty={{ title: 'Nothing here', next: 'Add one.' }}>
        {() => <p>rows</p>}
      </QueryState>,
    );
    expect(screen.getByRole('heading', { name: 'Nothing here' })).toBeTruthy();
    expect(screen.getByText('Add one.')).toBeTruthy();
  });
});

const series: ScorePoint[] = [
  { at: '2026-12-01T09:00:00Z', total: 23, fit: 15, event: 'Identify', changes: [
    { rule_id: 'title', kind: 'fit', points: 15, at: '2026-12-01T09:00:00Z', event: 'Identify' },
    { rule_id: 'visit', kind: 'engagement', points: 8, at: '2026-12-01T09:00:00Z', event: 'Identify' },
  ] },
  { at: '2026-12-11T09:00:00Z', total: 29, fit: 15, event: 'Page /pricing', changes: [{ rule_id: 'pricing', kind: 'engagement', points: 10, capped: true, at: '2026-12-11T09:00:00Z', event: 'Page /pricing' }] },
];

describe('ScoreChart', () => {
  it('explains the newest point, and each point chosen with the keyboard', () => {
    render(<ScoreChart series={series} />);
    const caption = () => document.querySelector('figcaption')!.textContent!;
    expect(caption()).toContain('29');
    expect(caption()).toContain('after Page /pricing: +10 pricing (engagement, capped)');
    const slider = screen.getByRole('slider', { name: /Point 2 of 2/ });
    fireEvent.change(slider, { target: { value: '0' } });
    expect(caption()).toContain('23');
    expect(caption()).toContain('+15 title (fit), +8 visit (engagement)');
    expect(screen.getByRole('img', { name: 'Score over time: 2 points, from 23 to 29' })).toBeTruthy();
  });
});
