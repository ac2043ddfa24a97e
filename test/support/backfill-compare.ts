import type { Config } from '../../src/config/index.ts';
import { readWholeTopic } from './committed-reader.ts';
import { type ConsumedRecord, testRegistry, topicsOf } from './pipeline.ts';

/**
 * Records as a consumer compares them, by ce_id: key, headers and decoded value, with the run's own
 * instance and connection names and the pull time (which differ between two runs) blanked. Two
 * backfills of one world (bulk and REST) must give equal maps.
 */
export async function comparable(
  records: readonly ConsumedRecord[],
  config: Readonly<Config>,
): Promise<Map<string, unknown>> {
  const registry = testRegistry();
  const { id, instance } = config.connections[0]!;
  const out = new Map<string, unknown>();
  for (const r of records) {
    const value = (await registry.decode(r.value!)) as { source: { pulledAt: number } };
    value.source.pulledAt = 0;
    const json = JSON.stringify({ key: r.key, headers: r.headers, value })
      .replaceAll(instance, '<instance>')
      .replaceAll(id, '<connection>');
    out.set(r.id, JSON.parse(json));
  }
  return out;
}

/** The last committed cursor of each of the connection's streams whose name starts with `streamPrefix`. */
export async function committedCursors<C>(config: Readonly<Config>, streamPrefix: string): Promise<Map<string, C>> {
  const prefix = `${config.connections[0]!.id}:${streamPrefix}`;
  const latest = new Map<string, C>();
  for (const r of await readWholeTopic(topicsOf(config).checkpoints)) {
    if (r.key.startsWith(prefix) && r.value) latest.set(r.key, JSON.parse(r.value.toString()) as C);
  }
  return latest;
}
