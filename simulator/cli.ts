/**
 * Runs the simulator on its own: `node simulator/cli.ts --port P [--host H] --seed S --leads N
 * --activities M --start ISO --end ISO --now ISO [--client-id X --client-secret Y]
 * [--limits off] [--quirks off] [--frozen] [--late-rate R --late-max-minutes M] [--scan-cap N]`. Prints one JSON line {url, identityUrl, restUrl,
 * bulkUrl, clientId, clientSecret, instance} and stays up until SIGTERM/SIGINT.
 */
import { parseArgs } from 'node:util';
import { startSimulator } from './index.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    seed: { type: 'string', default: '1' },
    leads: { type: 'string' },
    activities: { type: 'string' },
    start: { type: 'string' },
    end: { type: 'string' },
    now: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    instance: { type: 'string' },
    limits: { type: 'string' },
    quirks: { type: 'string' },
    frozen: { type: 'boolean', default: false },
    'late-rate': { type: 'string' },
    'late-max-minutes': { type: 'string' },
    'scan-cap': { type: 'string' },
  },
});

const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
const sim = await startSimulator({
  port: Number(values.port),
  host: values.host,
  seed: Number(values.seed),
  leads: num(values.leads),
  activities: num(values.activities),
  start: values.start,
  end: values.end,
  now: values.now,
  clientId: values['client-id'],
  clientSecret: values['client-secret'],
  instance: values.instance,
  clock: values.frozen ? 'frozen' : 'running',
  lateArrivalRate: num(values['late-rate']),
  lateArrivalMaxMs: values['late-max-minutes'] === undefined ? undefined : Number(values['late-max-minutes']) * 60_000,
  scanCap: num(values['scan-cap']),
  ...(values.limits === 'off' ? { limits: { ratePer20s: false, maxInFlight: false, dailyQuota: false } } : {}),
  ...(values.quirks === 'off' ? { quirks: { shortPageRate: 0, emptyPageRate: 0 } } : {}),
});
process.stdout.write(
  `${JSON.stringify({
    url: sim.url,
    identityUrl: `${sim.url}/identity`,
    restUrl: `${sim.url}/rest`,
    bulkUrl: `${sim.url}/bulk`,
    clientId: sim.clientId,
    clientSecret: sim.clientSecret,
    instance: sim.instance,
  })}\n`,
);
const stop = () => {
  sim.close().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
