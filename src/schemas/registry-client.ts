import { Agent as HttpsAgent } from 'node:https';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Agent, fetch as undiciFetch } from 'undici';
import type { SchemaRegistryConfig } from '../config/index.ts';
import { ErrorCodes, MarketoStreamError } from '../errors.ts';
import { explainTlsTrustFailure } from '../tls.ts';
import type { SchemaCatalogOptions } from './registry.ts';

const SETTINGS_HINT =
  'schemaRegistry.username / SCHEMA_REGISTRY_USERNAME and schemaRegistry.password / SCHEMA_REGISTRY_PASSWORD';

/** The error for a registry that refused our credentials (HTTP 401/403): names the user and the settings, never the secret. */
export function registryCredentialsError(settings: SchemaRegistryConfig, status: number): MarketoStreamError {
  const who = settings.username === undefined ? 'no credentials were configured' : `user "${settings.username}"`;
  return new MarketoStreamError(
    ErrorCodes.CREDENTIALS_REJECTED,
    `schema registry at ${settings.url} refused the request (HTTP ${status}; ${who}): check ${SETTINGS_HINT}`,
    { status, field: 'schemaRegistry.password' },
  );
}

/**
 * The one way marketo-stream talks to the schema registry: a registry client and a `fetch` that
 * both carry the configured basic auth and TLS settings (trusted CA, server name), as
 * {@link SchemaCatalog} options. The `fetch` turns HTTP 401/403 into CREDENTIALS_REJECTED and an
 * untrusted certificate into a retriable NETWORK error naming the TLS settings.
 */
export function registryClientOptions(settings: SchemaRegistryConfig): SchemaCatalogOptions {
  const tls = settings.tls;
  const https = settings.url.startsWith('https:');
  const tlsOptions = {
    ...(tls?.ca === undefined ? {} : { ca: tls.ca }),
    ...(tls?.servername === undefined ? {} : { servername: tls.servername }),
    rejectUnauthorized: tls?.rejectUnauthorized ?? true,
  };
  const auth =
    settings.username !== undefined && settings.password !== undefined
      ? { username: settings.username, password: settings.password }
      : undefined;
  const registry = new SchemaRegistry({
    host: settings.url,
    ...(auth ? { auth } : {}),
    ...(https && tls ? { agent: new HttpsAgent({ keepAlive: true, ...tlsOptions }) } : {}),
  });
  const dispatcher = https && tls ? new Agent({ connect: tlsOptions }) : undefined;
  const authorization = auth
    ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`
    : undefined;
  const fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    if (authorization) headers.set('authorization', authorization);
    let res: Response;
    try {
      res = (await undiciFetch(input as string, {
        ...(init as object),
        headers,
        ...(dispatcher ? { dispatcher } : {}),
      })) as unknown as Response;
    } catch (err) {
      const tls = 'schemaRegistry.tls.ca / SCHEMA_REGISTRY_TLS_CA_FILE';
      throw explainTlsTrustFailure(err, `schema registry at ${settings.url}`, tls) ?? err;
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw registryCredentialsError(settings, res.status);
    }
    return res;
  };
  return { registry, registryUrl: settings.url, fetch: fetch as typeof globalThis.fetch };
}
