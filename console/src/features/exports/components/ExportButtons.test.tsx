import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { QueryClientProvider } from '@tanstack/react-query';
import { ExportButtons } from './ExportButtons';
import { splitColumns } from '../api/exports';
import { createQueryClient } from '@/lib/query-client';
import { SessionContext } from '@/lib/session';
import type { ApiClient } from '@/lib/api-client';
import type { Role } from '@/types/api';

type Init = { method?: string; body?: unknown };

function renderWith(role: Role, api: ApiClient, props: { segmentId?: string; listId?: string }) {
  render(
    <QueryClientProvider client={createQueryClient()}>
      <SessionContext.Provider value={{ session: { email: 'me@x', role, idToken: 't', expiresAt: 0 }, api, signOut: () => {} }}>
        <ExportButtons {...props} />
      </SessionContext.Provider>
    </QueryClientProvider>,
  );
}

describe('ExportButtons', () => {
  it('starts a CSV export of the list with the chosen columns and links the file once done', async () => {
    const posts: unknown[] = [];
    let polls = 0;
    const api = vi.fn(async (path: string, init?: Init) => {
      if (path === '/v1/exports' && init?.method === 'POST') {
        posts.push(init.body);
        return { id: 'exp_1', state: 'running', rows: 0, skipped: 0 };
      }
      if (path === '/v1/exports/exp_1') {
        polls++;
        return polls < 2
          ? { id: 'exp_1', state: 'running', rows: 0, skipped: 0 }
          : { id: 'exp_1', state: 'done', rows: 4, skipped: 1, download_url: 'http://s3.test/exp_1.csv' };
      }
      throw new Error('unexpected ' + path);
    }) as unknown as ApiClient;
    renderWith('marketer', api, { listId: 'expo' });
    fireEvent.change(screen.getByLabelText('CSV columns'), { target: { value: 'email, traits.company' } });
    fireEvent.click(screen.getByRole('button', { name: 'Export CSV' }));
    const link = await screen.findByRole('link', { name: 'Download' }, { timeout: 4000 });
    expect(link.getAttribute('href')).toBe('http://s3.test/exp_1.csv');
    expect(screen.getByRole('status').textContent).toContain('4 rows (1 left out)');
    expect(posts).toEqual([{ list_id: 'expo', format: 'csv', columns: ['email', 'traits.company'] }]);
  });

  it('asks for an audience of the segment for the chosen network', async () => {
    const posts: unknown[] = [];
    const api = vi.fn(async (_path: string, init?: Init) => {
      if (init?.method === 'POST') posts.push(init.body);
      return { id: 'exp_2', state: 'running', rows: 0, skipped: 0 };
    }) as unknown as ApiClient;
    renderWith('admin', api, { segmentId: 'hot' });
    fireEvent.change(screen.getByLabelText('Audience for'), { target: { value: 'meta' } });
    fireEvent.click(screen.getByRole('button', { name: 'Export ad audience' }));
    expect(await screen.findByText('Exporting…')).toBeTruthy();
    expect(posts).toEqual([{ segment_id: 'hot', format: 'audience', target: 'meta' }]);
  });

  it('offers viewers no export (the file is personal data)', () => {
    renderWith('viewer', vi.fn() as unknown as ApiClient, { listId: 'expo' });
    expect(screen.queryByRole('button', { name: 'Export CSV' })).toBeNull();
  });

  it('splits columns on commas and spaces', () => {
    expect(splitColumns(' email,traits.company  status,,')).toEqual(['email', 'traits.company', 'status']);
  });
});
