import { readStatus, type StatusSnapshot } from '../status/index.ts';
import type { CliContext, CliIo } from './context.ts';
import { formatDuration, formatTable } from './table.ts';
import { ExitCode, parseCommand, positiveNumber } from './usage.ts';

export const STATUS_USAGE = `marketo-stream status [--json] [--watch] [--interval SECONDS]
  Per instance: calls used today, limit, reserve, reset time, paused or not and why, 606/607/615
  counts. Per connection: state, worker, and per stream: phase, sequence, records published,
  newest date, lag behind now, cursor position. A table; --json prints the same as one JSON object (a line per refresh with
  --watch); --watch refreshes every --interval seconds (default 2) until interrupted.`;

const CLEAR_SCREEN = '\x1b[2J\x1b[H';

/** Prints the status of every configured instance and connection, once or every interval. */
export async function statusCommand(args: readonly string[], io: CliIo, ctx: () => CliContext): Promise<number> {
  const { values } = parseCommand(args, {
    json: { type: 'boolean', default: false },
    watch: { type: 'boolean', default: false },
    interval: { type: 'string', default: '2' },
  });
  const intervalMs = positiveNumber(values.interval, '--interval') * 1000;
  const c = ctx();
  const print = async () => {
    const snapshot = await readStatus(c);
    const text = values.json ? JSON.stringify(snapshot) : renderStatus(snapshot);
    const clear = values.watch && !values.json && io.stdout.isTTY ? CLEAR_SCREEN : '';
    io.stdout.write(`${clear}${text}\n`);
  };
  await print();
  if (!values.watch) return ExitCode.OK;
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  // Held until the loop ends, so a second Ctrl-C during the last refresh does not kill the process.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    while (!stop.signal.aborted) {
      await c.clock.sleep(intervalMs, stop.signal);
      if (!stop.signal.aborted) await print();
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return ExitCode.OK;
}

/** The status as tables for a terminal. */
export function renderStatus(s: StatusSnapshot): string {
  const out: string[] = [`marketo-stream status at ${s.at}`, '', 'INSTANCES'];
  out.push(
    formatTable(
      ['INSTANCE', 'DAY', 'USED', 'LIMIT', 'RESERVE', 'REMAINING', 'RESETS AT', '606', '607', '615', 'PAUSED'],
      s.instances.map((i) => [
        i.instance,
        i.date,
        String(i.used),
        String(i.limit),
        String(i.reserve),
        String(i.remaining),
        i.resetsAt,
        String(i.errors['606']),
        String(i.errors['607']),
        String(i.errors['615']),
        i.paused ? `yes: ${i.pauseReason ?? ''}` : 'no',
      ]),
    ),
  );
  for (const c of s.connections) {
    out.push('', `CONNECTION ${c.connection}  instance ${c.instance}  state ${c.state}  worker ${c.worker ?? '-'}`);
    if (c.reason) out.push(`  reason: ${c.reason}`);
    if (c.since) out.push(`  since: ${c.since}`);
    if (c.nextRetryAt) out.push(`  next retry: ${c.nextRetryAt}`);
    if (c.streams.length === 0) {
      out.push('  no committed cursor yet');
      continue;
    }
    const table = formatTable(
      ['STREAM', 'PHASE', 'SEQ', 'RECORDS', 'NEWEST DATE', 'LAG', 'POSITION'],
      c.streams.map((v) => [
        v.stream,
        v.phase,
        String(v.seq),
        v.published === undefined ? '-' : String(v.published),
        v.newestDate ?? '-',
        formatDuration(v.lagSeconds),
        v.position,
      ]),
    );
    out.push(...table.split('\n').map((l) => `  ${l}`));
  }
  return out.join('\n');
}
