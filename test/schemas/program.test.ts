import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { assetDate } from '../../src/schemas/asset-fields.ts';
import { campaignSchema, toCampaignRecord } from '../../src/schemas/campaign.ts';
import { programSchema, toProgramRecord } from '../../src/schemas/program.ts';

const ctx = { instance: '123-ABC-456', connection: 'c1', pulledAt: 1_000 };

describe('assetDate', () => {
  it("normalises Marketo's `Z+0000`, `Z` and `+0000` forms to the same instant", () => {
    const want = Date.UTC(2015, 4, 21, 22, 45, 13);
    expect(assetDate('updatedAt', '2015-05-21T22:45:13Z+0000')).toBe(want);
    expect(assetDate('updatedAt', '2015-05-21T22:45:13Z')).toBe(want);
    expect(assetDate('updatedAt', '2015-05-21T22:45:13+0000')).toBe(want);
  });

  it('rejects a missing or malformed date, naming the field', () => {
    expect(() => assetDate('createdAt', undefined)).toThrow(/createdAt/);
    expect(() => assetDate('createdAt', 'yesterday')).toThrow();
  });
});

describe('toProgramRecord', () => {
  it('maps a programs.json record, encodable against programSchema', () => {
    const value = toProgramRecord(
      {
        id: 1001,
        name: '2025 Webinar - ABM 1',
        description: 'Webinar program',
        createdAt: '2025-01-02T03:04:05Z+0000',
        updatedAt: '2025-02-02T03:04:05Z+0000',
        url: 'https://app.example/#PG1001A1',
        type: 'program',
        channel: 'Webinar',
        folder: { type: 'Folder', value: 22, folderName: 'Marketing Activities' },
        status: '',
        workspace: 'Default',
        headStart: false,
        tags: [{ tagType: 'Region', tagValue: 'EMEA' }],
        costs: null,
      },
      ctx,
    );
    expect(value).toMatchObject({
      id: 1001,
      createdAt: Date.UTC(2025, 0, 2, 3, 4, 5),
      updatedAt: Date.UTC(2025, 1, 2, 3, 4, 5),
      folder: { type: 'Folder', value: 22, folderName: 'Marketing Activities' },
      sfdcId: null,
      tags: [{ tagType: 'Region', tagValue: 'EMEA' }],
      costs: [],
    });
    expect(() => avro.Type.forSchema(programSchema as unknown as avro.Schema).toBuffer(value)).not.toThrow();
  });

  it('throws on a record without id or name (dead-lettered by the runner)', () => {
    expect(() =>
      toProgramRecord({ name: 'x', createdAt: '2025-01-01T00:00:00Z', updatedAt: '2025-01-01T00:00:00Z' }, ctx),
    ).toThrow();
  });
});

describe('toCampaignRecord', () => {
  it('maps a smartCampaigns.json record, encodable against campaignSchema', () => {
    const value = toCampaignRecord(
      {
        id: 2001,
        name: 'Trigger - ABM 1',
        createdAt: '2025-01-02T03:04:05Z+0000',
        updatedAt: '2025-01-03T03:04:05Z+0000',
        folder: { type: 'Program', id: 1001 },
        status: 'Active',
        type: 'trigger',
        isSystem: false,
        isActive: true,
        isRequestable: true,
        recurrence: { weekdayOnly: false },
        smartListId: 12001,
        flowId: 22001,
        parentProgramId: 1001,
      },
      ctx,
    );
    expect(value).toMatchObject({
      id: 2001,
      updatedAt: Date.UTC(2025, 0, 3, 3, 4, 5),
      folder: { type: 'Program', id: 1001 },
      recurrence: '{"weekdayOnly":false}',
      description: null,
      isCommunicationLimitEnabled: null,
    });
    expect(() => avro.Type.forSchema(campaignSchema as unknown as avro.Schema).toBuffer(value)).not.toThrow();
  });
});
