/**
 * Simulator throughput and memory bench: `node bench/simulator-serve.ts [--json FILE] [--activities N]`.
 * Starts the simulator in a process of its own (limits off, quirks 0), pages through ≥ 1,000,000
 * activities of the tracked types with undici in five passes after a warm-up of 150,000 (in series,
 * 300 per page, no gzip; records counted without parsing the JSON, since the client's parsing is not
 * what this measures) and reports the median pass's activities/s and the simulator's RSS; then starts
 * a 10 M-activity world, pages a slice at its end and reports its RSS.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { TRACKED_TYPE_IDS } from '../simulator/index.ts';
import { rssMbOf, spawnSimulator } from './support.ts';

/** Result of benchSimulator. */
export interface SimulatorBenchResult {
  /** Median of the passes. */
  activitiesPerSec: number;
  /** Activities/s of each pass, ascending. */
  passRates: number[];
  activities: number;
  pages: number;
  seconds: number;
  /** Simulator's peak RSS while serving (MB). */
  peakRssMb: number;
  /** Simulator's RSS after serving (MB). */
  rssMb: number;
  tenMillionWorldRssMb: number;
  tenMillionWorldStartMs: number;
}

/** Passes over the world; the figure is their median. */
const PASSES = 5;
/** Activities paged through before the passes and not measured. */
const WARM_UP = 150_000;

/** Records in a page body, counted without JSON.parse (the client's parsing is not what this measures). */
function countRecords(body: string): number {
  let n = 0;
  for (let at = body.indexOf('"marketoGUID"'); at !== -1; at = body.indexOf('"marketoGUID"', at + 13)) n++;
  return n;
}

async function pageThrough(
  url: string,
  token: string,
  since: string,
  typeIds: number[],
  max: number,
  dispatcher: Agent,
) {
  const headers = { authorization: `Bearer ${token}` };
  const get = async (path: string) => {
    const r = await request(url + path, { headers, dispatcher });
    return r.body.text();
  };
  // The envelope's tail holds success, nextPageToken and moreResult: read it, not the whole body.
  const tokenOf = (body: string) => {
    const m = /"success":true,"nextPageToken":"([^"]+)"/.exec(body.slice(-400));
    if (!m) throw new Error(`bench: ${body.slice(0, 300)}`);
    return m[1]!;
  };
  let next = tokenOf(await get(`/rest/v1/activities/pagingtoken.json?sinceDatetime=${encodeURIComponent(since)}`));
  let count = 0;
  let pages = 0;
  const t0 = performance.now();
  // One group of ten types, as the service asks.
  const ids = typeIds.slice(0, 10).join(',');
  while (count < max) {
    const body = await get(`/rest/v1/activities.json?nextPageToken=${next}&activityTypeIds=${ids}&batchSize=300`);
    next = tokenOf(body);
    count += countRecords(body);
    pages++;
    if (!body.endsWith('"moreResult":true}')) break;
  }
  return { count, pages, seconds: (performance.now() - t0) / 1000 };
}

async function token(url: string, id: string, secret: string): Promise<string> {
  const r = await request(
    `${url}/identity/oauth/token?grant_type=client_credentials&client_id=${id}&client_secret=${secret}`,
  );
  return ((await r.body.json()) as { access_token: string }).access_token;
}

/** Runs the bench; `activities` = how many to page through (default 1,000,000). */
export async function benchSimulator(
  opts: { activities?: number; tenMillion?: boolean } = {},
): Promise<SimulatorBenchResult> {
  const target = opts.activities ?? 1_000_000;
  const sim = await spawnSimulator({ seed: 42, leads: 50_000, activities: Math.ceil(target * 2.2) });
  const dispatcher = new Agent({ connections: 1 });
  const passes: { count: number; pages: number; seconds: number }[] = [];
  let peakRssMb: number;
  let rssMb: number;
  try {
    const tok = await token(sim.url, sim.clientId, sim.clientSecret);
    // Warm-up: both processes' JIT and young generations settle over the first few hundred pages; a
    // pipeline meets the simulator in that steady state, so that is what the passes measure.
    await pageThrough(sim.url, tok, '2025-01-01T00:00:00Z', [...TRACKED_TYPE_IDS], WARM_UP, dispatcher);
    // The machine is shared and noisy: the figure is the median of PASSES passes, each a fifth of the target.
    for (let p = 0; p < PASSES; p++) {
      passes.push(
        await pageThrough(sim.url, tok, '2025-01-01T00:00:00Z', [...TRACKED_TYPE_IDS], target / PASSES, dispatcher),
      );
    }
    rssMb = rssMbOf(sim.child.pid!);
    peakRssMb = rssMbOf(sim.child.pid!, 'VmHWM');
  } finally {
    sim.child.kill('SIGTERM');
  }
  let tenMillionWorldRssMb = 0;
  let tenMillionWorldStartMs = 0;
  if (opts.tenMillion !== false) {
    const t0 = performance.now();
    const big = await spawnSimulator({ seed: 7, leads: 200_000, activities: 10_000_000 });
    tenMillionWorldStartMs = Math.round(performance.now() - t0);
    try {
      const tok = await token(big.url, big.clientId, big.clientSecret);
      await pageThrough(big.url, tok, '2025-12-20T00:00:00Z', [...TRACKED_TYPE_IDS], 100_000, dispatcher);
      tenMillionWorldRssMb = rssMbOf(big.child.pid!);
    } finally {
      big.child.kill('SIGTERM');
    }
  }
  await dispatcher.close();
  const rates = passes.map((p) => Math.round(p.count / p.seconds)).sort((a, b) => a - b);
  return {
    activitiesPerSec: rates[Math.floor(rates.length / 2)]!,
    passRates: rates,
    activities: passes.reduce((n, p) => n + p.count, 0),
    pages: passes.reduce((n, p) => n + p.pages, 0),
    seconds: Math.round(passes.reduce((n, p) => n + p.seconds, 0) * 100) / 100,
    peakRssMb,
    rssMb,
    tenMillionWorldRssMb,
    tenMillionWorldStartMs,
  };
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { json: { type: 'string' }, activities: { type: 'string' } } });
  const r = await benchSimulator({ activities: values.activities ? Number(values.activities) : undefined });
  console.log(JSON.stringify(r, null, 2));
  if (values.json) writeFileSync(values.json, `${JSON.stringify(r, null, 2)}\n`);
}
