import { ErrorCodes, MarketoStreamError } from '../errors.ts';
import { type CallContext, httpError, malformedError, marketoError } from './classify.ts';
import type { MarketoResponse } from './types.ts';

/** The outcome of decoding one HTTP response: a response, or the error it stands for. */
export type Decoded<T> = { ok: true; response: MarketoResponse<T> } | { ok: false; error: MarketoStreamError };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function short(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 120)}…` : flat;
}

function warningTexts(raw: unknown): string[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((w) => {
    if (typeof w === 'string') return w;
    if (isRecord(w)) return String(w.message ?? w.code ?? JSON.stringify(w));
    return String(w);
  });
}

/**
 * Decodes a REST response by its body, not its status line: a Marketo envelope decides (errors
 * usually arrive with HTTP 200); only a body that is not an envelope falls back to the status
 * (5xx gateway page → UNAVAILABLE, 2xx → MALFORMED_RESPONSE, other 4xx → REQUEST_REJECTED).
 */
export function decodeEnvelope<T>(status: number, body: string, ctx: CallContext): Decoded<T> {
  const withStatus = { ...ctx, status };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    const why = body.trim() === '' ? 'empty body' : `not JSON (${short(body)})`;
    if (status >= 200 && status < 300) return { ok: false, error: malformedError(withStatus, why) };
    return { ok: false, error: httpError(status, withStatus, why) };
  }
  if (!isRecord(parsed) || typeof parsed.success !== 'boolean') {
    const why = 'JSON without a boolean "success"';
    if (status >= 200 && status < 300) return { ok: false, error: malformedError(withStatus, why) };
    return { ok: false, error: httpError(status, withStatus, why) };
  }
  const requestId = typeof parsed.requestId === 'string' ? parsed.requestId : undefined;
  if (!parsed.success) {
    const first = Array.isArray(parsed.errors) ? parsed.errors[0] : undefined;
    if (!isRecord(first) || first.code === undefined) {
      return { ok: false, error: malformedError({ ...withStatus, requestId }, 'success:false without errors[]') };
    }
    const message = typeof first.message === 'string' ? first.message : '';
    return { ok: false, error: marketoError(String(first.code), message, { ...withStatus, requestId }) };
  }
  if (parsed.result !== undefined && !Array.isArray(parsed.result)) {
    return { ok: false, error: malformedError({ ...withStatus, requestId }, '"result" is not an array') };
  }
  return {
    ok: true,
    response: {
      result: (parsed.result as T[] | undefined) ?? [],
      moreResult: typeof parsed.moreResult === 'boolean' ? parsed.moreResult : undefined,
      nextPageToken: typeof parsed.nextPageToken === 'string' ? parsed.nextPageToken : undefined,
      warnings: warningTexts(parsed.warnings),
      requestId,
      raw: parsed,
    },
  };
}

/** A decoded identity answer. */
export interface IdentityToken {
  accessToken: string;
  /** Remaining lifetime in seconds. */
  expiresIn: number;
}

/**
 * Decodes `identity/oauth/token`. 401 → AUTH_FAILED (fatal); other failures as for REST calls.
 * Never puts the body in a message when it might hold a token.
 */
export function decodeIdentity(status: number, body: string, ctx: CallContext): IdentityToken | MarketoStreamError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  if (status === 401 || status === 403) {
    const description = isRecord(parsed) ? String(parsed.error_description ?? parsed.error ?? '') : '';
    return authFailed(status, description);
  }
  if (status >= 200 && status < 300 && isRecord(parsed) && typeof parsed.access_token === 'string') {
    const expiresIn = Number(parsed.expires_in);
    if (!Number.isFinite(expiresIn)) return malformedError({ ...ctx, status }, 'token without expires_in');
    return { accessToken: parsed.access_token, expiresIn };
  }
  if (parsed === undefined && status >= 200 && status < 300) {
    return malformedError({ ...ctx, status }, 'identity answer is not JSON');
  }
  if (status >= 200 && status < 300) return malformedError({ ...ctx, status }, 'identity answer without access_token');
  return httpError(status, { ...ctx, status });
}

function authFailed(status: number, description: string): MarketoStreamError {
  const why = description ? ` (${description.slice(0, 200)})` : '';
  return new MarketoStreamError(
    ErrorCodes.AUTH_FAILED,
    `Marketo identity refused the client credentials: HTTP ${status}${why}; check clientId and clientSecret`,
    { status },
  );
}
