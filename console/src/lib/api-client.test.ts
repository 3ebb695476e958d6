import { describe, expect, it, vi } from 'vitest';
import { ApiError, createApiClient } from './api-client';

function respond(status: number, body: unknown) {
  return vi.fn(async (_url: RequestInfo | URL, _init?: RequestInit) => new Response(body === undefined ? '' : JSON.stringify(body), { status }));
}

describe('api client', () => {
  it('sends the token and the JSON body, and returns the decoded answer', async () => {
    const f = respond(200, { ok: true });
    const api = createApiClient({ baseUrl: 'http://api', token: async () => 'tok', fetch: f });
    await expect(api('/v1/x', { method: 'PUT', body: { a: 1 }, query: { q: 'a b', empty: '' } })).resolves.toEqual({ ok: true });
    const [url, init] = f.mock.calls[0];
    expect(url).toBe('http://api/v1/x?q=a+b');
    expect((init!.headers as Record<string, string>).Authorization).toBe('Bearer tok');
    expect(init!.body).toBe('{"a":1}');
  });

  it("turns the API's error shape into an ApiError carrying the API's message", async () => {
    const api = createApiClient({ baseUrl: '', token: async () => 't', fetch: respond(403, { error: { code: 'forbidden', message: 'your role (viewer) may not do this' } }) });
    const err = await api('/v1/x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 403, code: 'forbidden', message: 'your role (viewer) may not do this' });
  });

  it('reports a 401 so the session can end, and explains a non-JSON failure', async () => {
    const onUnauthorized = vi.fn();
    const api = createApiClient({ baseUrl: '', token: async () => null, onUnauthorized, fetch: respond(401, undefined) });
    const err = (await api('/v1/x').catch((e: unknown) => e)) as ApiError;
    expect(onUnauthorized).toHaveBeenCalledOnce();
    expect(err.status).toBe(401);
    expect(err.message).toMatch(/401/);
  });

  it('says the API could not be reached when fetch fails', async () => {
    const api = createApiClient({ baseUrl: '', token: async () => null, fetch: vi.fn(async () => { throw new TypeError('Failed to fetch'); }) });
    await expect(api('/v1/x')).rejects.toMatchObject({ code: 'network' });
  });
});
