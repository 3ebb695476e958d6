import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter } from 'react-router';
import { DefinitionEditor } from './DefinitionEditor';
import { createQueryClient } from '@/lib/query-client';
import { SessionContext } from '@/lib/session';
import { ApiError, type ApiClient, type RequestInit } from '@/lib/api-client';
import type { DefinitionView, Role, Validation } from '@/types/api';

const topics = { topics: [{ id: 'news', name: 'News' }] };
const view = (version: number, def: unknown, etag: string): DefinitionView => ({
  kind: 'topics', id: 'default', definition: def, source: version ? 'api' : 'repo', version,
  overrides_repo: version > 0, differs_from_repo: version > 0, updated_at: null, updated_by: null, etag,
});

type Call = { path: string; init?: RequestInit };

function fakeApi(handle: (c: Call) => unknown): { api: ApiClient; calls: Call[] } {
  const calls: Call[] = [];
  const api = (async (path: string, init?: RequestInit) => {
    calls.push({ path, init });
    if (path.endsWith('/versions')) return { versions: [] };
    if (path === '/v1/scoring/rescore') return { model_version: 'm', contacts: 0, contacts_capped: false, run: null };
    return handle({ path, init });
  }) as ApiClient;
  return { api, calls };
}

function renderAs(role: Role, api: ApiClient, editRole: Role = 'marketer') {
  return render(
    <QueryClientProvider client={createQueryClient()}>
      <SessionContext.Provider value={{ session: { email: 'me@x', role, idToken: 't', expiresAt: 0 }, api, signOut: () => {} }}>
        <MemoryRouter>
          <DefinitionEditor kind="topics" id="default" noun="topic list" editRole={editRole} />
        </MemoryRouter>
      </SessionContext.Provider>
    </QueryClientProvider>,
  );
}

describe('DefinitionEditor', () => {
  it('marks the validator’s problems at their line and column while typing', async () => {
    const problem = { in: 'definition', field: 'nmae', line: 4, column: 7, message: 'unknown field "nmae"' };
    const { api, calls } = fakeApi(({ path, init }) => {
      if (path.endsWith('/validate')) return { kind: 'topics', id: 'default', valid: false, problems: [problem] } satisfies Validation;
      if (!init?.method) return view(0, topics, '"0-a"');
      throw new Error('unexpected ' + path);
    });
    const { container } = renderAs('marketer', api);
    const field = await screen.findByLabelText('Topic list (JSON)');
    const typed = '{\n  "topics": [\n    {\n      "nmae": "News"\n    }\n  ]\n}\n';
    fireEvent.change(field, { target: { value: typed } });

    const list = await screen.findByRole('list', { name: 'Problems in Topic list (JSON)' });
    expect(within(list).getByRole('button', { name: 'Line 4, column 7: unknown field "nmae"' })).toBeTruthy();
    expect(container.querySelector('.gutter [data-line="4"]')?.getAttribute('data-problem')).toBe('true');
    expect(container.querySelector('.gutter [data-line="3"]')?.getAttribute('data-problem')).toBeNull();
    expect(field.getAttribute('aria-invalid')).toBe('true');
    // The text sent is the text typed, so the positions are in it.
    const v = calls.find((c) => c.path === '/v1/definitions/topics/default/validate');
    expect(v?.init?.rawBody).toBe(typed);

    // Jumping to the problem selects its place in the text.
    await userEvent.click(within(list).getByRole('button'));
    expect((field as HTMLTextAreaElement).selectionStart).toBe(typed.indexOf('"nmae"'));
  });

  it('saves with If-Match and explains a 412, offering theirs or mine', async () => {
    let current = view(1, topics, '"1-a"');
    const puts: Call[] = [];
    const { api } = fakeApi(({ path, init }) => {
      if (path.endsWith('/validate')) return { kind: 'topics', id: 'default', valid: true, problems: [] };
      if (init?.method === 'PUT') {
        puts.push({ path, init });
        if (init.headers?.['If-Match'] !== current.etag) {
          throw new ApiError(412, 'precondition_failed', 'topic list "default" changed since it was read (If-Match no longer matches); GET it again and redo the change');
        }
        current = view(current.version + 1, JSON.parse(init.rawBody!), `"${current.version + 1}-b"`);
        return current;
      }
      return current;
    });
    renderAs('marketer', api);
    const field = await screen.findByLabelText('Topic list (JSON)');
    // Someone else saves version 2 after the page loaded version 1.
    current = view(2, { topics: [{ id: 'news', name: 'Their news' }] }, '"2-x"');
    const mine = JSON.stringify({ topics: [{ id: 'news', name: 'My news' }] }, null, 2) + '\n';
    fireEvent.change(field, { target: { value: mine } });
    await screen.findByText('Valid: ready to save.');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));

    const alert = await screen.findByText(/someone else saved this topic list after you opened it/);
    expect(puts[0].init?.headers?.['If-Match']).toBe('"1-a"');
    expect((field as HTMLTextAreaElement).value).toBe(mine); // nothing typed is lost
    const box = alert.closest('[role="alert"]') as HTMLElement;
    await within(box).findByRole('button', { name: 'Save mine over version 2' });
    expect(within(box).getByText(/Their news/)).toBeTruthy();

    await userEvent.click(within(box).getByRole('button', { name: 'Save mine over version 2' }));
    await screen.findByText('Saved as version 3.');
    expect(puts[1].init?.headers?.['If-Match']).toBe('"2-x"');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('is read-only for a viewer: no save, no validation calls', async () => {
    const { api, calls } = fakeApi(({ init }) => {
      if (!init?.method) return view(0, topics, '"0-a"');
      throw new Error('a viewer’s page must not write');
    });
    renderAs('viewer', api);
    const field = await screen.findByLabelText('Topic list (JSON)');
    expect(field.hasAttribute('readonly')).toBe(true);
    expect(screen.getByText(/Read only: changing the topic list needs the marketer role/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Save' })).toBeNull();
    expect(screen.queryByRole('button', { name: /Restore the repo version/ })).toBeNull();
    fireEvent.change(field, { target: { value: '{}' } });
    await new Promise((r) => setTimeout(r, 600));
    expect(calls.some((c) => c.init?.method)).toBe(false);
  });

  it('is read-only for a marketer where the kind needs admin (sending settings)', async () => {
    const { api } = fakeApi(() => view(0, topics, '"0-a"'));
    renderAs('marketer', api, 'admin');
    const field = await screen.findByLabelText('Topic list (JSON)');
    expect(field.hasAttribute('readonly')).toBe(true);
    expect(screen.queryByRole('button', { name: 'Save' })).toBeNull();
  });

  it('shows the API’s message when the definition cannot be read', async () => {
    const { api } = fakeApi(() => {
      throw new ApiError(404, 'not_found', 'no topic list "default"');
    });
    renderAs('admin', api);
    expect(await screen.findByText('no topic list "default"')).toBeTruthy();
  });
});

void vi;
