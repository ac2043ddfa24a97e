import type { Clock } from '../clock.ts';

/** A token as the identity endpoint hands it out. */
export interface FetchedToken {
  accessToken: string;
  /** Remaining lifetime in seconds. */
  expiresIn: number;
}

/** Options of {@link TokenCache}. */
export interface TokenCacheOptions {
  /** Asks the identity endpoint for a token. */
  fetch: (signal?: AbortSignal) => Promise<FetchedToken>;
  clock: Clock;
  /** Refresh this long before the token expires (default 60 s). */
  refreshEarlyMs?: number;
}

/**
 * Holds one access token and refreshes it shortly before it expires, on the given clock. Concurrent
 * callers share one identity request. Marketo hands out the SAME token with its remaining lifetime
 * when asked before expiry, so a token with little life left is used for half of what remains
 * rather than refetched on every call; a 601/602 after that is handled by `invalidate`.
 */
export class TokenCache {
  readonly #fetch: TokenCacheOptions['fetch'];
  readonly #clock: Clock;
  readonly #refreshEarlyMs: number;
  #token: string | undefined;
  #usableUntil = 0;
  /** The last token fetched and when the identity service said it expires (kept after `invalidate`). */
  #issued: { token: string; expiresAt: number } | undefined;
  #pending: Promise<string> | undefined;

  constructor(options: TokenCacheOptions) {
    this.#fetch = options.fetch;
    this.#clock = options.clock;
    this.#refreshEarlyMs = options.refreshEarlyMs ?? 60_000;
  }

  /** A token usable now (fetched when none is cached or it is about to expire). */
  async get(signal?: AbortSignal): Promise<string> {
    if (this.#token !== undefined && this.#clock.now() < this.#usableUntil) return this.#token;
    this.#pending ??= this.#refresh(signal).finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  /**
   * Forgets `token` after Marketo rejected it (601/602), so the next `get` fetches a new one. A token
   * that was already replaced is left alone, so concurrent rejections cause one refresh.
   */
  invalidate(token: string): void {
    if (this.#token === token) {
      this.#token = undefined;
      this.#usableUntil = 0;
    }
  }

  /**
   * How long until `token` expires by the identity service's word (0 when unknown or past). After a
   * token was rejected, the identity service keeps handing it back until then.
   */
  remainingMs(token: string): number {
    if (this.#issued?.token !== token) return 0;
    return Math.max(0, this.#issued.expiresAt - this.#clock.now());
  }

  async #refresh(signal?: AbortSignal): Promise<string> {
    const fetched = await this.#fetch(signal);
    const lifetimeMs = Math.max(0, fetched.expiresIn * 1000);
    this.#token = fetched.accessToken;
    this.#issued = { token: fetched.accessToken, expiresAt: this.#clock.now() + lifetimeMs };
    this.#usableUntil = this.#clock.now() + lifetimeMs - Math.min(this.#refreshEarlyMs, lifetimeMs / 2);
    return fetched.accessToken;
  }
}
