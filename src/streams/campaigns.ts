import { campaignSchema, EventTypes, toCampaignRecord } from '../schemas/index.ts';
import { type AssetCursor, type AssetStreamOptions, assetStream } from './assets.ts';
import type { StreamDefinition } from './stream.ts';

/** The stream name of smart campaigns. */
export const CAMPAIGNS_STREAM = 'campaigns';

/** Smart campaigns (`asset/v1/smartCampaigns.json`) to the compacted campaigns topic, incremental on updatedAt. */
export function campaignsStream(
  o: Omit<AssetStreamOptions, 'kind' | 'name' | 'eventType' | 'schema' | 'toValue'>,
): StreamDefinition<Record<string, unknown>, AssetCursor> {
  return assetStream({
    ...o,
    kind: 'smartCampaigns',
    name: CAMPAIGNS_STREAM,
    eventType: EventTypes.campaign,
    schema: campaignSchema,
    toValue: toCampaignRecord,
  });
}
