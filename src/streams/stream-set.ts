import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import { BYTES_PER_MB, ExportBudget } from '../bulk/index.ts';
import type { Clock } from '../clock.ts';
import type { Config, ConnectionConfig } from '../config/index.ts';
import type { TopicNames } from '../kafka/index.ts';
import type { Logger } from '../log.ts';
import { describeLeads2, getActivityTypes, type MarketoClient, type MarketoLeadField } from '../marketo/index.ts';
import { leadSchema, type SchemaCatalog } from '../schemas/index.ts';
import { type ActivitiesBackfillOptions, activitiesStream, type DeepLookbackOptions } from './activities.ts';
import { parseActivityGroupName, planActivityGroups, resolveActivityTypes } from './activity-groups.ts';
import { campaignsStream } from './campaigns.ts';
import { LeadSnapshotGate } from './lead-snapshot-gate.ts';
import { leadSnapshotSince } from './lead-snapshot-since.ts';
import { LeadFetchLog, type LeadStreamOptions } from './leads.ts';
import { leadsByActivityStream } from './leads-by-activity.ts';
import { LEAD_CHANGES_STREAM, leadChangesStream } from './leads-changes.ts';
import { deletedLeadsStream } from './leads-deleted.ts';
import { checkLeadFields } from './leads-fields.ts';
import { mergedLeadsStream } from './leads-merged.ts';
import type { LookbackSchedule } from './lookback-schedule.ts';
import { programsStream } from './programs.ts';
import type { AnyStreamDefinition } from './stream.ts';

/** The activities streams' look-back schedule from the settings. */
export function lookbackScheduleOf(
  s: Pick<Config, 'lookbackMinutes' | 'lookbackEveryMinutes' | 'deepLookbackHours' | 'deepLookbackEveryHours'>,
): LookbackSchedule {
  return {
    lookbackMs: s.lookbackMinutes * 60_000,
    everyMs: s.lookbackEveryMinutes * 60_000,
    deepLookbackMs: s.deepLookbackHours * 3_600_000,
    deepEveryMs: s.deepLookbackEveryHours * 3_600_000,
  };
}

/** What the stream set of one connection is built from. */
export interface StreamSetDeps {
  client: MarketoClient;
  /** For the activity-driven leads stream, which reads the activities topic. */
  kafka: Kafka;
  /** For the lead schema: the registered one decides a field whose Marketo type changed. */
  catalog: SchemaCatalog;
  topics: TopicNames;
  settings: Pick<
    Config,
    | 'lookbackMinutes'
    | 'lookbackEveryMinutes'
    | 'deepLookbackHours'
    | 'deepLookbackEveryHours'
    | 'incrementIntervalSeconds'
    | 'backfill'
  > &
    Partial<Pick<Config, 'bulk' | 'quotaTimeZone' | 'deepLookbackMethod'>>;
  /** Where the instance's export budget lives (Bulk Extract); without it the backfill is REST only. */
  redis?: Redis;
  clock: Clock;
  logger: Logger;
}

/**
 * The streams of one connection, in the order a pass runs them: one per group of ≤ 10 tracked
 * activity types, then leads (activity-driven and changed, the changed first when the backfill
 * takes a bulk lead snapshot; deleted, merged), programs and smart
 * campaigns, as the connection's `streams` selects. Tracked types and lead fields are checked
 * against the instance (a configured one it lacks fails naming it; a default type it lacks is
 * skipped with one warning), the lead schema is planned from
 * describe2. Holds what outlives a rebuild: describe2's fields (asked once) and the lead fetch log.
 */
export class StreamSet {
  readonly #c: Readonly<ConnectionConfig>;
  readonly #d: StreamSetDeps;
  readonly #lookbackMs: number;
  /** Which lead was fetched when, shared by the lead streams. */
  readonly #fetchLog: LeadFetchLog;
  /** The lead snapshot's committed progress, which the tombstone streams wait on. */
  readonly #snapshotGate = new LeadSnapshotGate();
  #leadFields: MarketoLeadField[] | undefined;
  /** Default activity types the instance lacks are reported once. */
  #warnedSkipped = false;
  #budget: ExportBudget | undefined;
  /** Where the lead snapshot begins, once asked (`earliest` costs a call). */
  #snapshotSince: string | undefined;

  constructor(connection: Readonly<ConnectionConfig>, deps: StreamSetDeps) {
    this.#c = connection;
    this.#d = deps;
    this.#lookbackMs = deps.settings.lookbackMinutes * 60_000;
    this.#fetchLog = new LeadFetchLog(Math.max(this.#lookbackMs, 2 * deps.settings.incrementIntervalSeconds * 1000));
  }

  /**
   * The stream definitions to run. `checkpointed` names the streams that already have a
   * checkpoint: activity groups keep their composition, so a type added later gets a group (and a
   * backfill) of its own.
   */
  async build(checkpointed: readonly string[]): Promise<AnyStreamDefinition[]> {
    const streams = this.#c.streams;
    return [
      ...(streams.includes('activities') ? await this.#activityStreams(checkpointed) : []),
      ...(streams.includes('leads') ? await this.#leadStreams(checkpointed) : []),
      ...this.#assetStreams(),
    ];
  }

  async #activityStreams(checkpointed: readonly string[]): Promise<AnyStreamDefinition[]> {
    const { client, topics, settings } = this.#d;
    const types = await getActivityTypes(client);
    const tracked = resolveActivityTypes(this.#c.activityTypes, types, {
      defaulted: this.#c.activityTypesDefaulted,
      onSkipped: (missing) => {
        if (this.#warnedSkipped) return;
        this.#warnedSkipped = true;
        this.#d.logger.warn(
          { missing },
          `default activity type(s) missing on this instance, skipped: ${missing.join(', ')}`,
        );
      },
    });
    const existing = checkpointed.map(parseActivityGroupName).filter((g): g is number[] => g !== undefined);
    const typeNames = new Map(types.map((t) => [t.id, t.name]));
    return planActivityGroups(tracked, existing).map((group) =>
      activitiesStream({
        client,
        group,
        topic: topics.activities,
        instance: this.#c.instance,
        connection: this.#c.id,
        typeNames,
        startDate: this.#c.startDate,
        schedule: lookbackScheduleOf(settings),
        dailySplitThreshold: settings.backfill.dailySplitThreshold,
        ...(this.#backfill ? { backfill: this.#backfill } : {}),
        ...(this.#deepLookback ? { deepLookback: this.#deepLookback } : {}),
      }),
    );
  }

  /** The bulk side of the backfill, shared by the activity groups and the lead snapshot (one export budget per instance). */
  get #backfill(): ActivitiesBackfillOptions | undefined {
    const { method, restShare, windowDays } = this.#d.settings.backfill;
    const bulk = method === 'rest' ? undefined : this.#bulkSide;
    return bulk && { ...bulk, method, windowDays, restShare };
  }

  /** The bulk side of the deep look-back (the same export budget as the backfill's). */
  get #deepLookback(): DeepLookbackOptions | undefined {
    const method = this.#d.settings.deepLookbackMethod ?? 'auto';
    const bulk = method === 'rest' ? undefined : this.#bulkSide;
    return bulk && { ...bulk, method };
  }

  /** What every bulk reader of the connection shares: the instance's export budget and its day. */
  get #bulkSide() {
    const { settings, redis, clock, logger } = this.#d;
    if (!redis || !settings.bulk) return undefined;
    const timeZone = settings.quotaTimeZone ?? 'America/Chicago';
    this.#budget ??= new ExportBudget({
      redis,
      instance: this.#c.instance,
      dailyMb: settings.bulk.dailyMb,
      reserveMb: settings.bulk.reserveMb,
      maxJobs: settings.bulk.maxJobs,
      timeZone,
      clock,
      logger,
    });
    return {
      dailyQuota: this.#c.dailyQuota - this.#c.quotaReserve,
      timeZone,
      pollMinMs: settings.bulk.pollMinSeconds * 1000,
      budget: this.#budget,
      dailyExportBytes: (settings.bulk.dailyMb - settings.bulk.reserveMb) * BYTES_PER_MB,
    };
  }

  /**
   * The configured lead fields are checked against describe2; the lead schema is generated from
   * describe2, keeping the registered type of a field whose Marketo type changed.
   */
  async #leadStreams(checkpointed: readonly string[]): Promise<AnyStreamDefinition[]> {
    const { client, topics, kafka, clock } = this.#d;
    const c = this.#c;
    this.#leadFields ??= (await describeLeads2(client))[0]?.fields ?? [];
    checkLeadFields(c.leadFields, this.#leadFields);
    const previous = await this.#d.catalog.latest(topics.leads);
    const plan = leadSchema(this.#leadFields, c.leadFields, previous);
    for (const conflict of plan.conflicts) {
      this.#d.logger.warn(
        conflict,
        `lead field "${conflict.field}" changed type in Marketo (${conflict.registered} → ${conflict.wanted}): ${conflict.resolution}`,
      );
    }
    const leads: LeadStreamOptions = {
      client,
      topic: topics.leads,
      instance: c.instance,
      connection: c.id,
      plan,
      describedFields: this.#leadFields,
      fetchLog: this.#fetchLog,
      startDate: c.startDate,
      lookbackMs: this.#lookbackMs,
      clock,
    };
    const backfill = this.#backfill;
    // Only a snapshot yet to be planned needs its beginning (a checkpointed one holds its windows).
    if (backfill && !checkpointed.includes(LEAD_CHANGES_STREAM)) {
      this.#snapshotSince ??= await leadSnapshotSince({
        setting: this.#d.settings.backfill.leadSnapshotSince,
        startDate: c.startDate,
        client,
        logger: this.#d.logger,
      });
    }
    const snapshot = backfill && { ...backfill, ...(this.#snapshotSince ? { since: this.#snapshotSince } : {}) };
    const gate = snapshot ? this.#snapshotGate : undefined;
    // Deleted and merged-away leads both become tombstones on the leads topic; with a lead
    // snapshot, from its handover point once it is committed.
    const gone = {
      client,
      topic: topics.leads,
      instance: c.instance,
      schema: plan.schema,
      startDate: c.startDate,
      lookbackMs: this.#lookbackMs,
      ...(gate ? { snapshot: gate } : {}),
    };
    const byActivity = leadsByActivityStream({ ...leads, kafka, activitiesTopic: topics.activities });
    const changes = leadChangesStream(leads, snapshot, gate);
    // With the bulk lead snapshot, the changes stream runs first: the leads it publishes are not
    // fetched again by id for the backfilled activities that the activity-driven stream reads after it.
    const fetched = snapshot ? [changes, byActivity] : [byActivity, changes];
    return [...fetched, deletedLeadsStream(gone), mergedLeadsStream(gone)];
  }

  #assetStreams(): AnyStreamDefinition[] {
    const { client, topics } = this.#d;
    const c = this.#c;
    const assets = { client, instance: c.instance, connection: c.id, overlapMs: this.#lookbackMs };
    return [
      ...(c.streams.includes('programs') ? [programsStream({ ...assets, topic: topics.programs })] : []),
      ...(c.streams.includes('campaigns') ? [campaignsStream({ ...assets, topic: topics.campaigns })] : []),
    ];
  }
}
