import type { Logger } from '../log.ts';
import { getLeadsByIds, type MarketoClient, parseMarketoDate } from '../marketo/index.ts';
import { LEADS_PER_CALL } from './leads.ts';

/** The lead ids `earliest` asks for: as many as one leads.json call takes. */
const OLDEST_LEAD_IDS = Array.from({ length: LEADS_PER_CALL }, (_, i) => i + 1);

/**
 * Where a connection's bulk lead snapshot begins (ISO), from the `backfill.leadSnapshotSince`
 * setting: absent or `start-date`, the connection's start date; a date, that date (the start date when that is
 * earlier: the snapshot never begins after the activities' history); `earliest`, the oldest
 * `createdAt` among lead ids 1–300, with ONE leads.json call. That relies on Marketo assigning
 * lead ids in creation order (observed, not documented), so the lowest surviving ids are the
 * oldest leads; when none of them exists any more, the start date, with one log line.
 */
export async function leadSnapshotSince(o: {
  setting: string | undefined;
  startDate: string;
  client: Pick<MarketoClient, 'get'>;
  logger: Logger;
  signal?: AbortSignal;
}): Promise<string> {
  const start = parseMarketoDate(o.startDate);
  if (o.setting === undefined || o.setting === 'start-date') return o.startDate;
  if (o.setting !== 'earliest') return parseMarketoDate(o.setting) < start ? o.setting : o.startDate;
  const res = await getLeadsByIds(o.client, OLDEST_LEAD_IDS, ['id', 'createdAt'], o.signal);
  const created = res.result
    .map((lead) => (typeof lead.createdAt === 'string' ? Date.parse(lead.createdAt) : Number.NaN))
    .filter((t) => !Number.isNaN(t));
  if (created.length === 0) {
    o.logger.info(
      { startDate: o.startDate },
      'lead snapshot since earliest: none of lead ids 1-300 exists, so the snapshot begins at the start date',
    );
    return o.startDate;
  }
  const earliest = Math.min(...created);
  if (earliest >= start) return o.startDate;
  const since = new Date(earliest).toISOString();
  o.logger.info({ since, startDate: o.startDate }, 'lead snapshot begins at the oldest lead');
  return since;
}
