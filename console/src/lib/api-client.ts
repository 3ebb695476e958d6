// The one API client: it adds the signed-in user's token, and turns the
// API's error shape {"error":{"code","message"}} into an ApiError whose
// message is the API's own, so pages can show it as is.
import type { ApiErrorBody } from '@/types/api';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Anything else the error body carries (a template's problems, say). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiClientOptions {
  baseUrl: string;
  token: () => Promise<string | null>;
  /** Called on 401: the session is gone (expired, disabled). */
  onUnauthorized?: () => void;
  fetch?: typeof fetch;
}

export interface RequestInit {
  method?: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as it is, as JSON text (a definition as typed, so positions in problems match it). */
  rawBody?: string;
  query?: Record<string, string | undefined>;
  /** Extra request headers (If-Match). */
  headers?: Record<string, string>;
}

export type ApiClient = <T>(path: string, init?: RequestInit) => Promise<T>;

export function createApiClient(opts: ApiClientOptions): ApiClient {
  const doFetch = opts.fetch ?? ((...a: Parameters<typeof fetch>) => fetch(...a));
  return async function api<T>(path: string, init: RequestInit = {}) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(init.query ?? {})) if (v !== undefined && v !== '') qs.set(k, v);
    const url = `${opts.baseUrl}${path}${qs.size ? `?${qs}` : ''}`;
    const headers: Record<string, string> = { Accept: 'application/json', ...init.headers };
    const token = await opts.token();
    if (token) headers.Authorization = `Bearer ${token}`;
    const reqBody = init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
    if (reqBody !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await doFetch(url, { method: init.method ?? 'GET', headers, body: reqBody });
    } catch {
      throw new ApiError(0, 'network', 'The API could not be reached. Check your connection and try again.');
    }
    const text = await res.text();
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
    }
    if (!res.ok) {
      const e = (body as ApiErrorBody | undefined)?.error;
      if (res.status === 401) opts.onUnauthorized?.();
      const { code, message, ...details } = e ?? { code: undefined, message: undefined };
      throw new ApiError(res.status, code ?? 'http_' + res.status, message ?? `The API answered ${res.status} ${res.statusText}.`, details);
    }
    return body as T;
  };
}
