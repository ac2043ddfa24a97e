/** Marketo refuses URIs over 8 KB (HTTP 414). */
export const MAX_URL_BYTES = 8192;

/** Query parameters; arrays become comma-separated lists, undefined values are left out. */
export type Query = Record<string, string | number | boolean | undefined | string[] | number[]>;

/** Encodes `query` as a query string (without `?`). */
export function encodeQuery(query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    params.append(name, Array.isArray(value) ? value.join(',') : String(value));
  }
  return params.toString();
}

/** What to send on the wire for one call. */
export interface WireRequest {
  method: 'GET' | 'POST';
  url: string;
  body?: string;
  contentType?: string;
  /** True when a GET went out as `POST` with `_method=GET` in a form body. */
  tunnelled: boolean;
}

/**
 * Builds the wire request. A GET whose URL would exceed 8 KB (or that Marketo refused with 414,
 * `forceTunnel`) becomes a POST to the same path with body `_method=GET&<query>`, form-encoded,
 * as Marketo documents. A POST keeps its query on the URL and sends `body` as JSON.
 */
export function buildWireRequest(
  baseUrl: string,
  method: 'GET' | 'POST',
  path: string,
  query: Query | undefined,
  body: unknown,
  forceTunnel = false,
): WireRequest {
  const qs = encodeQuery(query);
  const url = `${baseUrl}${path}`;
  const full = qs ? `${url}?${qs}` : url;
  if (method === 'GET') {
    if (forceTunnel || Buffer.byteLength(full) > MAX_URL_BYTES) {
      return {
        method: 'POST',
        url,
        body: qs ? `_method=GET&${qs}` : '_method=GET',
        contentType: 'application/x-www-form-urlencoded',
        tunnelled: true,
      };
    }
    return { method, url: full, tunnelled: false };
  }
  if (body === undefined) return { method, url: full, tunnelled: false };
  return { method, url: full, body: JSON.stringify(body), contentType: 'application/json', tunnelled: false };
}
