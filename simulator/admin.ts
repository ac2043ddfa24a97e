import type { IncomingMessage, ServerResponse } from 'node:http';
import { isoZ } from './hash.ts';
import type { Simulator } from './index.ts';

function json(res: ServerResponse, status: number, value: unknown): true {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
  return true;
}

function list(q: URLSearchParams, name: string): number[] | undefined {
  const v = q.get(name);
  return v ? v.split(',').map(Number) : undefined;
}

/**
 * The admin HTTP API (JSON), mirroring the in-process handle for other processes:
 * GET /_admin/clock · POST /_admin/clock {now} · POST /_admin/clock/advance {ms}
 * GET|POST /_admin/settings {limits?, quirks?, pagingTokenTtlMs?}
 * POST /_admin/faults {FaultSpec} · DELETE /_admin/faults · POST /_admin/revoke-token
 * GET /_admin/counts · POST /_admin/counts/reset · POST /_admin/usage/reset
 * GET /_admin/truth/activities?typeIds&from&to&leadIds (NDJSON) · /truth/leads (NDJSON)
 * GET /_admin/truth/deleted-leads · /truth/merged-leads · /truth/programs · /truth/campaigns
 * POST /_admin/late-activity {leadId, activityTypeId, activityDate, visibleAt} → {marketoGUID}
 * GET /_admin/bulk/jobs · POST /_admin/bulk/faults {failJobs?, cutDownloads?, cutFraction?, expire?: exportId | "all",
 *   refuseLeadFilter?: "createdAt" | "updatedAt" (lead exports on it answer 1035)}
 */
export function handleAdmin(
  sim: Simulator,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  q: URLSearchParams,
  body: string,
): boolean {
  let input: Record<string, unknown> = {};
  try {
    input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
  } catch {
    return json(res, 400, { error: 'invalid JSON body' });
  }
  const post = req.method === 'POST';
  const clockView = () => ({ now: sim.clock.now(), iso: isoZ(sim.clock.now()) });
  try {
    switch (`${req.method} ${path}`) {
      case 'GET /_admin/clock':
        return json(res, 200, clockView());
      case 'POST /_admin/clock':
        sim.clock.set(input['now'] as string | number);
        return json(res, 200, clockView());
      case 'POST /_admin/clock/advance':
        sim.clock.advance(Number(input['ms']));
        return json(res, 200, clockView());
      case 'GET /_admin/settings':
        return json(res, 200, sim.settings());
      case 'POST /_admin/settings':
        if (input['limits']) sim.setLimits(input['limits'] as object);
        if (input['quirks']) sim.setQuirks(input['quirks'] as object);
        if ('pagingTokenTtlMs' in input)
          sim.setPagingTokenTtl((input['pagingTokenTtlMs'] as number | null) ?? undefined);
        return json(res, 200, sim.settings());
      case 'POST /_admin/faults':
        return json(res, 200, { id: sim.injectFault(input as never) });
      case 'DELETE /_admin/faults':
        sim.clearFaults();
        return json(res, 200, { ok: true });
      case 'POST /_admin/revoke-token':
        sim.revokeToken();
        return json(res, 200, { ok: true });
      case 'GET /_admin/counts':
        return json(res, 200, sim.counts());
      case 'POST /_admin/counts/reset':
        sim.resetCounts();
        return json(res, 200, { ok: true });
      case 'POST /_admin/usage/reset':
        sim.resetUsage();
        return json(res, 200, { ok: true });
      case 'POST /_admin/late-activity':
        return json(res, 200, { marketoGUID: sim.injectLateActivity(input as never) });
      case 'GET /_admin/bulk/jobs':
        return json(res, 200, sim.bulk.jobs());
      case 'POST /_admin/bulk/faults':
        if (input['failJobs']) sim.bulk.failNextJobs(Number(input['failJobs']));
        if (input['cutDownloads'])
          sim.bulk.cutNextDownloads(Number(input['cutDownloads']), (input['cutFraction'] as number) ?? 0.5);
        if (input['expire']) sim.bulk.expireFiles(input['expire'] === 'all' ? undefined : String(input['expire']));
        if (input['refuseLeadFilter']) sim.bulk.refuseLeadFilter(String(input['refuseLeadFilter']));
        return json(res, 200, { ok: true });
      case 'GET /_admin/truth/deleted-leads':
        return json(res, 200, sim.truth.deletedLeadIds());
      case 'GET /_admin/truth/merged-leads':
        return json(res, 200, sim.truth.mergedLeadIds());
      case 'GET /_admin/truth/programs':
        return json(res, 200, sim.truth.programs());
      case 'GET /_admin/truth/campaigns':
        return json(res, 200, sim.truth.campaigns());
      case 'GET /_admin/truth/activities':
      case 'GET /_admin/truth/leads': {
        const it = path.endsWith('activities')
          ? sim.truth.activities({
              typeIds: list(q, 'typeIds'),
              from: q.get('from') ?? undefined,
              to: q.get('to') ?? undefined,
              leadIds: list(q, 'leadIds'),
            })
          : sim.truth.leads(q.get('fields') ? { fields: q.get('fields')!.split(',') } : {});
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        let chunk = '';
        for (const r of it) {
          chunk += `${JSON.stringify(r)}\n`;
          if (chunk.length > 65536) {
            res.write(chunk);
            chunk = '';
          }
        }
        res.end(chunk);
        return true;
      }
      default:
        return json(res, post ? 404 : 404, { error: `unknown admin route ${req.method} ${path}` });
    }
  } catch (e) {
    return json(res, 400, { error: e instanceof Error ? e.message : String(e) });
  }
}
