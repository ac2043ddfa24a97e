import { getDailyUsage, MarketoClient } from '../marketo/index.ts';
import { quotaOf, readInstance } from '../status/index.ts';
import { configuredInstance } from './connection-args.ts';
import type { CliContext, CliIo } from './context.ts';
import { formatTable } from './table.ts';
import { ExitCode, oneOf, parseCommand } from './usage.ts';

export const QUOTA_USAGE = `marketo-stream quota show <instance> [--json]
marketo-stream quota reconcile <instance>
  show: today's quota of the instance as counted in Redis (used, limit, reserve, remaining, reset,
        606/607/615 answers, calls by endpoint).
  reconcile: asks Marketo for its own count (stats/usage.json, one call, counted like any other) and
        raises our count to it when Marketo's is higher (other integrations share the quota); never
        lowers it. Uses the credentials of the first configured connection on the instance.`;

/** `quota show|reconcile <instance>`. */
export async function quotaCommand(args: readonly string[], io: CliIo, ctx: () => CliContext): Promise<number> {
  const { values, positionals } = parseCommand(args, { json: { type: 'boolean', default: false } }, [
    'show|reconcile',
    'instance',
  ]);
  const action = oneOf(positionals[0]!, ['show', 'reconcile'] as const, '<action>');
  const c = ctx();
  const connection = configuredInstance(c.config, positionals[1]!);
  if (action === 'show') {
    const [view, status] = await Promise.all([readInstance(c, connection), quotaOf(c, connection).status()]);
    const shown = { ...view, window: status.window, inFlight: status.inFlight, byEndpoint: status.byEndpoint };
    if (values.json) {
      io.stdout.write(`${JSON.stringify(shown)}\n`);
      return ExitCode.OK;
    }
    const rows: [string, string][] = [
      ['instance', view.instance],
      ['day', view.date],
      ['used', String(view.used)],
      ['limit', String(view.limit)],
      ['reserve', String(view.reserve)],
      ['remaining', String(view.remaining)],
      ['resets at', view.resetsAt],
      ['paused', view.paused ? `yes: ${view.pauseReason ?? ''}` : 'no'],
      ['606 / 607 / 615', `${view.errors['606']} / ${view.errors['607']} / ${view.errors['615']}`],
      ['20 s window', `${status.window.calls} of ${status.window.limit}`],
      ['in flight', `${status.inFlight.calls} of ${status.inFlight.limit}`],
      ...Object.entries(status.byEndpoint).map(([e, n]): [string, string] => [`calls ${e}`, String(n)]),
    ];
    io.stdout.write(`${formatTable(['FIELD', 'VALUE'], rows)}\n`);
    return ExitCode.OK;
  }

  const quota = quotaOf(c, connection);
  const client = new MarketoClient({
    baseUrl: connection.baseUrl,
    clientId: connection.clientId,
    clientSecret: connection.clientSecret,
    quota,
    timeoutMs: connection.requestTimeoutMs,
    clock: c.clock,
    logger: c.logger,
  });
  try {
    const usage = await getDailyUsage(client);
    const { date } = await quota.status();
    // Marketo's day and ours differ for a moment around midnight: only today's figure is applied.
    const marketo = usage.find((u) => u.date === date);
    if (!marketo) {
      io.stdout.write(
        `${JSON.stringify({ instance: connection.instance, date, marketo: null, note: `Marketo reported no figure for ${date}`, usage })}\n`,
      );
      return ExitCode.OK;
    }
    const { before, after } = await quota.raiseUsed(marketo.total);
    io.stdout.write(
      `${JSON.stringify({ instance: connection.instance, date, marketo: marketo.total, before, after, raised: after > before })}\n`,
    );
    return ExitCode.OK;
  } finally {
    await client.close();
  }
}
