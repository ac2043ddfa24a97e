/**
 * `npm run bench -- [--json FILE] [--activities N]`: every benchmark of the project in one run,
 * against the local stack (started when the environment names no services). Prints a table and,
 * with --json, writes the figures to FILE.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createLogger, routeProcessWarnings } from '../src/log.ts';
import { endpointsFromEnv, startLocalStack } from '../test/support/services.ts';
import { benchLeads } from './leads.ts';
import { benchPipeline } from './pipeline.ts';
import { benchSimulator } from './simulator-serve.ts';

routeProcessWarnings(createLogger({ level: 'warn' })); // kafkajs's TimeoutNegativeWarning, as in the service
const { values } = parseArgs({ options: { json: { type: 'string' }, activities: { type: 'string' } } });
const activities = values.activities ? Number(values.activities) : 1_000_000;
const services = endpointsFromEnv() ?? startLocalStack();

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
log(`pipeline: backfilling ~${activities} activities, then the bare producer`);
const pipeline = await benchPipeline(services, { activities });
log('leads: calls per 1,000 touched leads');
const leads = await benchLeads({ services });
log('simulator: serving speed and the 10 M world');
const simulator = await benchSimulator({ activities });

const figures = {
  ...pipeline,
  leadCallsPer1k: leads.leadCallsPer1k,
  touchedLeads: leads.touchedLeads,
  simulatorActivitiesPerSec: simulator.activitiesPerSec,
  simulatorPassRates: simulator.passRates,
  simulatorTenMillionWorldRssMb: simulator.tenMillionWorldRssMb,
};
const rows: [string, string | number, string][] = [
  ['activities backfilled', pipeline.activities, ''],
  ['end-to-end activities/s (committed)', pipeline.activitiesPerSec, ''],
  ['bare kafkajs producer msgs/s', pipeline.bareProducerPerSec, ''],
  ['ratio', pipeline.ratio, 'target >= 0.8'],
  [
    'CPU ms per page: service/simulator/other',
    `${pipeline.cpuMsPerPage.service}/${pipeline.cpuMsPerPage.simulator}/${pipeline.cpuMsPerPage.other}`,
    `machine ${pipeline.machineBusyPct}% busy`,
  ],
  ['activities/s the cores allow at that CPU', pipeline.cpuBoundActivitiesPerSec, 'perfect overlap'],
  ['Marketo calls per 10k activities', pipeline.callsPer10k, 'target <= 36 (floor 34)'],
  ['peak RSS, full backfill (MB)', pipeline.peakRssMb, 'target < 300'],
  [`peak RSS, quarter (${pipeline.quarterActivities}) (MB)`, pipeline.peakRssQuarterMb, 'flat = about equal'],
  [`leads.json calls per 1k touched leads (${leads.touchedLeads})`, leads.leadCallsPer1k, 'target <= 4'],
  ['simulator activities/s served (median of 5)', simulator.activitiesPerSec, 'target >= 150000'],
  ['simulator RSS with a 10 M world (MB)', simulator.tenMillionWorldRssMb, ''],
];
for (const [name, value, note] of rows) console.log(`${name.padEnd(44)} ${String(value).padStart(10)}  ${note}`);
if (values.json) writeFileSync(values.json, `${JSON.stringify(figures, null, 2)}\n`);
process.exit(0);
