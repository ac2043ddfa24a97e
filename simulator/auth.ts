import { guid } from './hash.ts';
import type { SimClock } from './sim-clock.ts';

interface TokenState {
  expiresAt: number;
  expiryReported: boolean;
  revoked: boolean;
}

/** Outcome of checking a bearer token: usable, or the Marketo code to answer with. */
export type TokenCheck = 'ok' | '601' | '602';

/**
 * Access tokens as Marketo's identity service hands them out: one current token per instance,
 * `lifetimeMs` long (3600 s) on the simulator clock; asking again before expiry returns the same
 * token with its remaining lifetime. After expiry the first call with the token gets 602, later
 * calls 601; a revoked or unknown token gets 601. With `apiLeadMs`, the REST API holds a token
 * expired that long before the identity service stops handing it out (their clocks differ): a call
 * in that window gets 602, and again 601 with the "refreshed" token, which is the same one.
 */
export class TokenStore {
  readonly #clock: SimClock;
  readonly #seed: number;
  readonly #pod: string;
  readonly #lifetimeMs: number;
  readonly #apiLeadMs: number;
  readonly #tokens = new Map<string, TokenState>();
  #current: string | undefined;
  #issued = 0;

  constructor(clock: SimClock, seed: number, pod: string, lifetimeMs = 3600_000, apiLeadMs = 0) {
    this.#apiLeadMs = apiLeadMs;
    this.#clock = clock;
    this.#seed = seed;
    this.#pod = pod;
    this.#lifetimeMs = lifetimeMs;
  }

  /** The identity response body for a successful client_credentials grant. */
  issue(): { access_token: string; token_type: 'bearer'; expires_in: number; scope: string } {
    const now = this.#clock.now();
    let token = this.#current;
    const state = token ? this.#tokens.get(token) : undefined;
    if (!token || !state || state.revoked || state.expiresAt <= now) {
      token = `${guid(this.#seed, 9, this.#issued++)}:${this.#pod}`;
      this.#tokens.set(token, { expiresAt: now + this.#lifetimeMs, expiryReported: false, revoked: false });
      this.#current = token;
    }
    const expiresAt = this.#tokens.get(token)!.expiresAt;
    return {
      access_token: token,
      token_type: 'bearer',
      expires_in: Math.max(0, Math.floor((expiresAt - now - 1) / 1000)),
      scope: 'apiuser@sim.example',
    };
  }

  /** Checks a token presented on a REST call. */
  check(token: string | undefined): TokenCheck {
    if (!token) return '601';
    const s = this.#tokens.get(token);
    if (!s || s.revoked) return '601';
    if (this.#clock.now() >= s.expiresAt - this.#apiLeadMs) {
      if (s.expiryReported) return '601';
      s.expiryReported = true;
      return '602';
    }
    return 'ok';
  }

  /** Invalidates the current token (later calls with it get 601; identity issues a new one). */
  revoke(): void {
    if (!this.#current) return;
    const s = this.#tokens.get(this.#current);
    if (s) s.revoked = true;
    this.#current = undefined;
  }

  /** The token the identity endpoint would return now (undefined if none is live). */
  get current(): string | undefined {
    return this.#current;
  }
}
