import type { Simulator } from './index.ts';

/** Test helper: a tiny Marketo client over fetch for the simulator. */
export interface SimClient {
  token(): Promise<string>;
  // biome-ignore lint/suspicious/noExplicitAny: parsed Marketo JSON in tests
  get(pathAndQuery: string, headers?: Record<string, string>): Promise<{ status: number; text: string; json: any }>;
  raw(pathAndQuery: string, init?: RequestInit): Promise<Response>;
}

/** Creates a client that authenticates with the simulator's credentials. */
export function simClient(sim: Simulator): SimClient {
  let token: string | undefined;
  const c: SimClient = {
    async token() {
      const r = await fetch(
        `${sim.url}/identity/oauth/token?grant_type=client_credentials&client_id=${sim.clientId}&client_secret=${sim.clientSecret}`,
      );
      token = ((await r.json()) as { access_token: string }).access_token;
      return token;
    },
    async get(p, headers = {}) {
      if (!token) await c.token();
      const r = await fetch(sim.url + p, { headers: { authorization: `Bearer ${token}`, ...headers } });
      const text = await r.text();
      // biome-ignore lint/suspicious/noExplicitAny: parsed Marketo JSON in tests
      let json: any;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: r.status, text, json };
    },
    raw: (p, init) => fetch(sim.url + p, init),
  };
  return c;
}
