/**
 * Marketo response envelopes, rendered as strings. Errors live inside HTTP 200 bodies with STRING
 * codes; lead-database and asset endpoints differ in shape.
 */

/** What a handler answers: a JSON body (HTTP 200 unless `status`), or raw bytes (bulk files). */
export interface Reply {
  status?: number;
  body: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
  /** Whether Marketo counts this call against rate window and quota. */
  counted: boolean;
  /** Send only this many bytes of `body` (headers still promise all of it), then drop the connection. */
  cutAfter?: number;
  /** Called once `body` has been handed to the socket and may be reused. */
  done?: () => void;
}

/** `{"requestId":…,"success":false,"errors":[{"code":"601","message":…}]}`: never counted. */
export function failure(requestId: string, code: string, message: string): Reply {
  return {
    body: `{"requestId":"${requestId}","success":false,"errors":[{"code":"${code}","message":${JSON.stringify(message)}}]}`,
    counted: false,
  };
}

/**
 * A 1xxx business error (e.g. 1003, 1006, 1029): the call reached the API and is counted, as
 * Marketo only exempts 6xx/7xx failures.
 */
export function businessFailure(requestId: string, code: string, message: string): Reply {
  return { ...failure(requestId, code, message), counted: true };
}

/** Lead-database success: `{"requestId","result"?,"success":true,...extra}`; `result` omitted when undefined. */
export function leadDbSuccess(requestId: string, resultJson: string | undefined, extra = ''): Reply {
  return {
    body: `{"requestId":"${requestId}"${resultJson === undefined ? '' : `,"result":${resultJson}`},"success":true${extra}}`,
    counted: true,
  };
}

/** Asset-API success: `{"success":true,"errors":[],"requestId","warnings":[],"result":[…]}`; end of results has no result. */
export function assetSuccess(requestId: string, result: unknown[] | undefined): Reply {
  if (!result || result.length === 0) {
    return {
      body: `{"success":true,"errors":[],"requestId":"${requestId}","warnings":["No assets found for the given search criteria."]}`,
      counted: true,
    };
  }
  return {
    body: `{"success":true,"errors":[],"requestId":"${requestId}","warnings":[],"result":${JSON.stringify(result)}}`,
    counted: true,
  };
}

/** Asset-API error (7xx and friends): success false with errors[]. */
export function assetFailure(requestId: string, code: string, message: string): Reply {
  return {
    body: `{"success":false,"errors":[{"code":"${code}","message":${JSON.stringify(message)}}],"requestId":"${requestId}","warnings":[]}`,
    counted: false,
  };
}

/** The HTML page a gateway serves with a 5xx. */
export function gatewayPage(status: number): string {
  const reason =
    status === 502
      ? 'Bad Gateway'
      : status === 503
        ? 'Service Unavailable'
        : status === 504
          ? 'Gateway Time-out'
          : 'Server Error';
  return `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status} ${reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}
