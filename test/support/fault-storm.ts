import type { FaultSpec } from '../../simulator/faults.ts';

/**
 * The fault kinds of a storm (issue #17 point 5), each a simulator fault rule on every REST call:
 * HTML gateway pages, Marketo envelope errors (5xx, 604, 606, 608, 611, 614, 615, 713), truncated
 * JSON, an answer slower than the client's time-out, a revoked token and a reset connection.
 */
export function stormFaults(rate: number, slowerThanMs: number): Record<string, FaultSpec> {
  const kinds: Record<string, Omit<FaultSpec, 'rate' | 'endpoint'>> = {
    'html-502': { kind: 'http5xx', status: 502 },
    'html-503': { kind: 'http5xx', status: 503 },
    'envelope-502': { kind: 'error', code: '502', message: 'Bad Gateway' },
    'envelope-604': { kind: 'error', code: '604' },
    'envelope-606': { kind: 'error', code: '606' },
    'envelope-608': { kind: 'error', code: '608' },
    'envelope-611': { kind: 'error', code: '611' },
    'envelope-614': { kind: 'error', code: '614' },
    'envelope-615': { kind: 'error', code: '615' },
    'envelope-713': { kind: 'error', code: '713' },
    truncated: { kind: 'truncated' },
    slow: { kind: 'delay', delayMs: slowerThanMs },
    'revoked-token': { kind: 'revokeToken' },
    'connection-reset': { kind: 'reset' },
  };
  const each = rate / Object.keys(kinds).length;
  return Object.fromEntries(
    Object.entries(kinds).map(([name, spec]) => [name, { ...spec, endpoint: '/rest/', rate: each }]),
  );
}

/** Injects every storm fault into `inject` (a simulator's injectFault); returns rule id → kind name. */
export function injectStorm(
  inject: (spec: FaultSpec) => number,
  rate: number,
  slowerThanMs: number,
): Map<number, string> {
  const ids = new Map<number, string>();
  for (const [name, spec] of Object.entries(stormFaults(rate, slowerThanMs))) ids.set(inject(spec), name);
  return ids;
}
