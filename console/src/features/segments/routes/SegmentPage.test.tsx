import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes } from 'react-router';
import { SegmentPage } from './SegmentPage';
import { createQueryClient } from '@/lib/query-client';
import { SessionContext } from '@/lib/session';
import type { ApiClient } from '@/lib/api-client';
import type { Role, SegmentView } from '@/types/api';

const saved: SegmentView = {
  id: 'hot', name: 'Hot pricing', filter: { tag: 'vip' }, count: 3, state: 'ready', version: 1, etag: 'e1',
};

type Init = { method?: string; body?: unknown; query?: Record<string, string | undefined> };

function renderAt(path: string, role: Role, api: ApiClient) {
  render(
    <QueryClientProvider client={createQueryClient()}>
      <SessionContext.Provider value={{ session: { email: 'me@x', role, idToken: 't', expiresAt: 0 }, api, signOut: () => {} }}>
        <MemoryRouter initialEntries={[path]}>
          <Routes>
            <Route path="/segments/:id" element={<SegmentPage />} />
          </Routes>
        </MemoryRouter>
      </SessionContext.Provider>
    </QueryClientProvider>,
  );
}

describe('SegmentPage', () => {
  it('counts the filter being edited once typing stops, and not while it is not JSON', async () => {
    const previews: unknown[] = [];
    const api = vi.fn(async (path: string, init?: Init) => {
      if (path === '/v1/segments/preview') {
        previews.push(init?.body);
        return { count: 7, sample: [{ id: 'c1', email: 'a@x.test' }], evaluated: 40, exact: true };
      }
      if (path.endsWith('/members')) return { members: [{ id: 'c9', email: 'm@x.test' }], next_cursor: null };
      return saved;
    }) as unknown as ApiClient;
    renderAt('/segments/hot', 'marketer', api);
    const box = (await screen.findByLabelText('Filter')) as HTMLTextAreaElement;
    await waitFor(() => expect(box.value).toContain('"vip"'));
    expect(await screen.findByText('m@x.test')).toBeTruthy();
    expect(await screen.findByLabelText('Preview count')).toBeTruthy();
    const before = previews.length;
    fireEvent.change(box, { target: { value: '{"tag":' } });
    expect(await screen.findByRole('alert')).toBeTruthy();
    fireEvent.change(box, { target: { value: '{"tag":"partner"}' } });
    await waitFor(() => expect(previews.length).toBe(before + 1), { timeout: 2000 });
    expect(previews.at(-1)).toEqual({ filter: { tag: 'partner' } });
    expect((await screen.findByLabelText('Preview count')).textContent).toBe('7');
  });

  it('shows a viewer the segment without a way to change it', async () => {
    const api = (async (path: string) => {
      if (path.endsWith('/members')) return { members: [], next_cursor: null };
      if (path === '/v1/segments/preview') return { count: 3, sample: [], evaluated: 3, exact: true };
      return saved;
    }) as ApiClient;
    renderAt('/segments/hot', 'viewer', api);
    expect((await screen.findByLabelText('Member count')).textContent).toBe('3');
    expect(screen.getByText('Viewers cannot change segments.')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Save' })).toBeNull();
  });

  it('reads the member list again when the segment finishes building', async () => {
    let ready = false;
    let reads = 0;
    const api = (async (path: string) => {
      if (path.endsWith('/members')) return { members: ready ? [{ id: 'c9', email: 'late@x.test' }] : [], next_cursor: null };
      if (path === '/v1/segments/preview') return { count: 1, sample: [], evaluated: 1, exact: true };
      // The first read finds it building; the next (the page polls) ready.
      reads++;
      if (reads > 1) ready = true;
      return ready ? saved : { ...saved, state: 'building', count: 0 };
    }) as ApiClient;
    renderAt('/segments/hot', 'viewer', api);
    expect((await screen.findByLabelText('State')).textContent).toBe('building');
    await waitFor(() => expect(screen.getByLabelText('State').textContent).toBe('ready'), { timeout: 5000 });
    expect(await screen.findByText('late@x.test')).toBeTruthy();
  });

});
