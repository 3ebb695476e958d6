import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter } from 'react-router';
import { ImportsPage } from './ImportsPage';
import { createQueryClient } from '@/lib/query-client';
import { SessionContext } from '@/lib/session';
import type { ApiClient } from '@/lib/api-client';
import type { ImportView, Role } from '@/types/api';

type Init = { method?: string; body?: unknown };

const done: ImportView = {
  id: 'imp_1', state: 'done', definition: { file_name: 'fair.csv', columns: { email: 'Email' } }, rows: 8, imported: 3, failed: 5,
  duplicates: 2, progress: 1, error_report: '/v1/imports/imp_1/errors', created_at: '2026-12-07T10:00:00Z',
};

function renderAs(role: Role, api: ApiClient) {
  render(
    <QueryClientProvider client={createQueryClient()}>
      <SessionContext.Provider value={{ session: { email: 'me@x', role, idToken: 't', expiresAt: 0 }, api, signOut: () => {} }}>
        <MemoryRouter>
          <ImportsPage />
        </MemoryRouter>
      </SessionContext.Provider>
    </QueryClientProvider>,
  );
}

afterEach(() => vi.unstubAllGlobals());

describe('ImportsPage', () => {
  it('maps columns from the header row, uploads to the presigned URL, then starts the import', async () => {
    const calls: { path: string; init?: Init }[] = [];
    const api = vi.fn(async (path: string, init?: Init) => {
      calls.push({ path, init });
      if (path === '/v1/imports' && init?.method === 'POST')
        return { id: 'imp_2', state: 'waiting_upload', upload_url: 'http://s3.test/up', upload_method: 'PUT', upload_headers: { 'Content-Type': 'text/csv' } };
      if (path === '/v1/imports/imp_2/start') return { ...done, id: 'imp_2', state: 'running', progress: 0 };
      if (path === '/v1/imports') return { imports: [done] };
      if (path === '/v1/lists') return { lists: [{ id: 'fair-2026', name: 'Fair 2026', count: 0 }] };
      throw new Error('unexpected ' + path);
    }) as unknown as ApiClient;
    const fetchMock = vi.fn(async () => new Response(null, { status: 200 }));
    vi.stubGlobal('fetch', fetchMock);
    renderAs('marketer', api);

    const file = new File(['E-Mail,"Company, Inc",Opt-in\na@x.test,Acme,yes\n'], 'fair.csv', { type: 'text/csv' });
    fireEvent.change(screen.getByLabelText('File'), { target: { files: [file] } });
    const emailCol = (await screen.findByLabelText('Email column')) as HTMLSelectElement;
    expect(emailCol.value).toBe('E-Mail');
    expect((screen.getByLabelText('Consent column') as HTMLSelectElement).value).toBe('Opt-in');
    fireEvent.change(screen.getByLabelText('Trait for “Company, Inc”'), { target: { value: 'company' } });
    await screen.findByRole('option', { name: 'Fair 2026' });
    fireEvent.change(screen.getByLabelText('Add to list'), { target: { value: 'fair-2026' } });
    fireEvent.change(screen.getByLabelText('Evidence (where and when consent was collected)'), { target: { value: 'booth sheets' } });
    fireEvent.click(screen.getByLabelText('advertising'));
    fireEvent.click(screen.getByRole('button', { name: 'Start import' }));

    expect(await screen.findByText('Import imp_2 started.')).toBeTruthy();
    const create = calls.find((c) => c.path === '/v1/imports' && c.init?.method === 'POST');
    expect(create?.init?.body).toEqual({
      file_name: 'fair.csv',
      columns: { email: 'E-Mail', consent: 'Opt-in', traits: { company: 'Company, Inc' } },
      list_id: 'fair-2026',
      consent: { evidence: 'booth sheets', purposes: ['marketing', 'advertising'] },
    });
    expect(fetchMock).toHaveBeenCalledWith('http://s3.test/up', { method: 'PUT', headers: { 'Content-Type': 'text/csv' }, body: file });
    expect(calls.map((c) => c.path)).toContain('/v1/imports/imp_2/start');
  });

  it('does not start an import whose upload failed', async () => {
    const paths: string[] = [];
    const api = vi.fn(async (path: string, init?: Init) => {
      paths.push(path);
      if (path === '/v1/imports' && init?.method === 'POST') return { id: 'imp_3', upload_url: 'http://s3.test/up', upload_method: 'PUT', upload_headers: {} };
      if (path === '/v1/lists') return { lists: [] };
      return { imports: [] };
    }) as unknown as ApiClient;
    vi.stubGlobal('fetch', vi.fn(async () => new Response(null, { status: 403 })));
    renderAs('admin', api);
    fireEvent.change(screen.getByLabelText('File'), { target: { files: [new File(['email\na@x.test\n'], 'a.csv')] } });
    await waitFor(() => expect((screen.getByLabelText('Email column') as HTMLSelectElement).value).toBe('email'));
    fireEvent.click(screen.getByRole('button', { name: 'Start import' }));
    expect(await screen.findByText(/Uploading the file failed \(403\)/)).toBeTruthy();
    expect(paths).not.toContain('/v1/imports/imp_3/start');
  });

  it('shows a viewer the imports and progress without starting one or the error report', async () => {
    const api = vi.fn(async (path: string) => (path === '/v1/imports' ? { imports: [done] } : { lists: [] })) as unknown as ApiClient;
    renderAs('viewer', api);
    expect(await screen.findByText('fair.csv')).toBeTruthy();
    expect((screen.getByLabelText('Progress of fair.csv') as HTMLProgressElement).value).toBe(1);
    expect(screen.queryByRole('form', { name: 'New import' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Error report' })).toBeNull();
  });

  it('fetches a fresh error report link for a marketer', async () => {
    const api = vi.fn(async (path: string) => {
      if (path === '/v1/imports') return { imports: [done] };
      if (path === '/v1/imports/imp_1/errors') return { url: 'http://s3.test/errors.csv' };
      return { lists: [] };
    }) as unknown as ApiClient;
    const assign = vi.fn();
    vi.stubGlobal('location', { ...window.location, assign });
    renderAs('marketer', api);
    fireEvent.click(await screen.findByRole('button', { name: 'Error report' }));
    await waitFor(() => expect(assign).toHaveBeenCalledWith('http://s3.test/errors.csv'));
  });
});
