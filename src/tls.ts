import { ErrorCodes, MarketoStreamError } from './errors.ts';

// Node's codes for a server certificate the client does not trust or that does not match the host.
const TRUST_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** The TLS trust failure code somewhere in `err`'s chain (cause, kafkajs's originalError), if any. */
export function tlsTrustFailure(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  for (let e = err as Record<string, unknown> | undefined; e && typeof e === 'object' && !seen.has(e); ) {
    seen.add(e);
    if (typeof e.code === 'string' && TRUST_CODES.has(e.code)) return e.code;
    const message = typeof e.message === 'string' ? e.message : '';
    const named = [...TRUST_CODES].find((code) => message.includes(code));
    if (named) return named;
    if (
      /self[- ]signed certificate|unable to verify the first certificate|does not match certificate's altnames/i.test(
        message,
      )
    ) {
      return message;
    }
    e = (e.cause ?? e.originalError) as Record<string, unknown> | undefined;
  }
  return undefined;
}

/**
 * A retriable NETWORK error saying that `service`'s certificate is not trusted, naming the settings
 * to check (e.g. "kafka.ssl.ca / KAFKA_SSL_CA_FILE"); undefined when `err` is not a TLS trust failure.
 */
export function explainTlsTrustFailure(
  err: unknown,
  service: string,
  settings: string,
): MarketoStreamError | undefined {
  const failure = tlsTrustFailure(err);
  if (failure === undefined) return undefined;
  return new MarketoStreamError(
    ErrorCodes.NETWORK,
    `${service}: the server's TLS certificate is not trusted or does not match (${failure}): check ${settings}`,
    { retriable: true, cause: err },
  );
}
