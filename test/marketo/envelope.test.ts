import { describe, expect, it } from 'vitest';
import { ErrorCodes, type MarketoStreamError } from '../../src/errors.ts';
import { networkError, wasCounted } from '../../src/marketo/classify.ts';
import { decodeEnvelope, decodeIdentity } from '../../src/marketo/envelope.ts';

const ctx = { call: 'GET /rest/v1/activities.json' };
const fail = (code: string, message: string) =>
  JSON.stringify({ requestId: 'r#1', success: false, errors: [{ code, message }] });

function errorOf(
  status: number,
  body: string,
  c: typeof ctx & { sentPagingToken?: boolean } = ctx,
): MarketoStreamError {
  const d = decodeEnvelope(status, body, c);
  if (d.ok) throw new Error('expected an error');
  return d.error;
}

describe('decodeEnvelope: success', () => {
  it('decodes a lead-database page', () => {
    const d = decodeEnvelope(
      200,
      JSON.stringify({
        requestId: 'a1',
        success: true,
        nextPageToken: 'NPT',
        moreResult: true,
        result: [{ id: 1 }],
        warnings: [{ code: '1003', message: 'heads up' }],
      }),
      ctx,
    );
    expect(d).toMatchObject({
      ok: true,
      response: {
        result: [{ id: 1 }],
        moreResult: true,
        nextPageToken: 'NPT',
        requestId: 'a1',
        warnings: ['heads up'],
      },
    });
  });

  it('gives an empty result when the key is missing (empty page, end of assets)', () => {
    const d = decodeEnvelope(
      200,
      '{"success":true,"errors":[],"requestId":"x","warnings":["No assets found for the given search criteria."]}',
      ctx,
    );
    expect(d).toMatchObject({
      ok: true,
      response: { result: [], warnings: ['No assets found for the given search criteria.'] },
    });
  });
});

describe('decodeEnvelope: classification by body', () => {
  it.each([
    ['601', ErrorCodes.TOKEN_EXPIRED, false],
    ['602', ErrorCodes.TOKEN_EXPIRED, false],
    ['606', ErrorCodes.RATE_LIMITED, true],
    ['615', ErrorCodes.CONCURRENCY_LIMITED, true],
    ['607', ErrorCodes.QUOTA_EXHAUSTED, true],
    ['604', ErrorCodes.UNAVAILABLE, true],
    ['608', ErrorCodes.UNAVAILABLE, true],
    ['611', ErrorCodes.UNAVAILABLE, true],
    ['713', ErrorCodes.UNAVAILABLE, true],
    ['719', ErrorCodes.UNAVAILABLE, true],
    ['603', ErrorCodes.REQUEST_REJECTED, false],
    ['609', ErrorCodes.REQUEST_REJECTED, false],
    ['610', ErrorCodes.REQUEST_REJECTED, false],
    ['701', ErrorCodes.REQUEST_REJECTED, false],
    ['1003', ErrorCodes.REQUEST_REJECTED, false],
    ['1006', ErrorCodes.REQUEST_REJECTED, false],
  ])('%s → %s (retriable %s)', (code, expected, retriable) => {
    const e = errorOf(200, fail(code, 'something'));
    expect(e).toMatchObject({ code: expected, retriable, marketoCode: code, requestId: 'r#1', status: 200 });
    expect(e.message).toContain(code);
    expect(e.message).toContain('GET /rest/v1/activities.json');
  });

  it('a token complaint on a paged call is PAGING_TOKEN_INVALID, but 601 stays TOKEN_EXPIRED', () => {
    const paged = { ...ctx, sentPagingToken: true };
    expect(errorOf(200, fail('1003', 'Invalid nextPageToken'), paged).code).toBe(ErrorCodes.PAGING_TOKEN_INVALID);
    expect(errorOf(200, fail('601', 'Access token invalid'), paged).code).toBe(ErrorCodes.TOKEN_EXPIRED);
    expect(errorOf(200, fail('1003', 'Invalid nextPageToken')).code).toBe(ErrorCodes.REQUEST_REJECTED);
  });

  it('an envelope inside a 5xx is still classified by its body', () => {
    expect(errorOf(503, fail('606', 'Max rate limit'))).toMatchObject({ code: ErrorCodes.RATE_LIMITED, status: 503 });
  });

  it('HTML gateway pages and non-envelope bodies', () => {
    expect(errorOf(502, '<html><body>Bad Gateway</body></html>')).toMatchObject({
      code: ErrorCodes.UNAVAILABLE,
      retriable: true,
      status: 502,
    });
    expect(errorOf(200, '{"success":true,"result":[{"id":1},')).toMatchObject({
      code: ErrorCodes.MALFORMED_RESPONSE,
      retriable: true,
    });
    expect(errorOf(200, '<html>maintenance</html>').code).toBe(ErrorCodes.MALFORMED_RESPONSE);
    expect(errorOf(200, '').code).toBe(ErrorCodes.MALFORMED_RESPONSE);
    expect(errorOf(200, '[1,2]').code).toBe(ErrorCodes.MALFORMED_RESPONSE);
    expect(errorOf(200, '{"success":true,"result":{}}').code).toBe(ErrorCodes.MALFORMED_RESPONSE);
    expect(errorOf(200, '{"success":false}').code).toBe(ErrorCodes.MALFORMED_RESPONSE);
    expect(errorOf(413, 'Request Entity Too Large')).toMatchObject({
      code: ErrorCodes.REQUEST_REJECTED,
      retriable: false,
    });
  });
});

describe('wasCounted', () => {
  it('6xx/7xx, HTTP failures and lost requests are not counted; other answers are', () => {
    expect(wasCounted(errorOf(200, fail('606', 'x')))).toBe(false);
    expect(wasCounted(errorOf(200, fail('701', 'x')))).toBe(false);
    expect(wasCounted(errorOf(200, fail('1006', 'x')))).toBe(true);
    expect(wasCounted(errorOf(502, '<html/>'))).toBe(false);
    expect(wasCounted(errorOf(200, '{"succ'))).toBe(true);
    expect(wasCounted(networkError(ctx, 'ECONNRESET'))).toBe(false);
    expect(wasCounted(new Error('unknown'))).toBe(true);
  });
});

describe('decodeIdentity', () => {
  const id = { call: 'GET /identity/oauth/token' };
  it('reads the token and its lifetime', () => {
    expect(decodeIdentity(200, '{"access_token":"t:ab","token_type":"bearer","expires_in":3599}', id)).toEqual({
      accessToken: 't:ab',
      expiresIn: 3599,
    });
  });
  it('401 is AUTH_FAILED, fatal', () => {
    const e = decodeIdentity(401, '{"error":"invalid_client","error_description":"Bad client credentials"}', id);
    expect(e).toMatchObject({ code: ErrorCodes.AUTH_FAILED, retriable: false, status: 401 });
    expect((e as Error).message).toContain('Bad client credentials');
  });
  it('5xx and garbage are retriable', () => {
    expect(decodeIdentity(503, '<html/>', id)).toMatchObject({ code: ErrorCodes.UNAVAILABLE, retriable: true });
    expect(decodeIdentity(200, '{"token_type":"bearer"}', id)).toMatchObject({ code: ErrorCodes.MALFORMED_RESPONSE });
    expect(decodeIdentity(200, 'nope', id)).toMatchObject({ code: ErrorCodes.MALFORMED_RESPONSE });
  });
});
