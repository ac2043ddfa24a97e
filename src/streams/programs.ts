import { EventTypes, programSchema, toProgramRecord } from '../schemas/index.ts';
import { type AssetCursor, type AssetStreamOptions, assetStream } from './assets.ts';
import type { StreamDefinition } from './stream.ts';

/** The stream name of programs. */
export const PROGRAMS_STREAM = 'programs';

/** Programs (`asset/v1/programs.json`) to the compacted programs topic, incremental on updatedAt. */
export function programsStream(
  o: Omit<AssetStreamOptions, 'kind' | 'name' | 'eventType' | 'schema' | 'toValue'>,
): StreamDefinition<Record<string, unknown>, AssetCursor> {
  return assetStream({
    ...o,
    kind: 'programs',
    name: PROGRAMS_STREAM,
    eventType: EventTypes.program,
    schema: programSchema,
    toValue: toProgramRecord,
  });
}
