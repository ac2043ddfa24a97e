import type { BulkBackfillCursor } from './backfill-plan.ts';

/** What the tombstone streams know of the connection's lead snapshot. */
export type LeadSnapshotState =
  /** The lead-changes stream has not shown a committed cursor in this process yet. */
  | { state: 'unknown' }
  /** The snapshot has windows left to publish. */
  | { state: 'running' }
  /** Every snapshot record is committed; `handoverAt` is where the snapshot's history ends. */
  | { state: 'finished'; handoverAt: string }
  /** The backfill takes no snapshot (the history before today is empty, or a cursor from before the snapshot). */
  | { state: 'none' };

/**
 * The lead snapshot's progress as its committed checkpoints tell it, shared by the lead streams of
 * one connection (it outlives a rebuild of the stream set). The lead-changes stream reports each
 * committed cursor it is handed ({@link committedCursor}) and the commit of the page that finishes
 * the snapshot ({@link finished}); the deleted- and merged-lead streams wait on it: they publish no
 * tombstone before every snapshot record is committed, so no lead's snapshot record can follow its
 * tombstone on the compacted topic. Only committed state counts: the runner fetches a page before
 * the previous one commits.
 */
export class LeadSnapshotGate {
  #state: LeadSnapshotState = { state: 'unknown' };

  get state(): LeadSnapshotState {
    return this.#state;
  }

  /** The lead-changes stream's committed cursor (restored from a checkpoint, or after a commit). */
  committedCursor(bulk: BulkBackfillCursor | undefined): void {
    if (this.#state.state === 'finished') return;
    if (!bulk) this.#state = { state: 'none' };
    else if (bulk.finished) this.#state = { state: 'finished', handoverAt: bulk.handoverAt };
    else this.#state = { state: 'running' };
  }

  /** The page that finishes the snapshot (every record before it committed) is committed. */
  finished(handoverAt: string): void {
    this.#state = { state: 'finished', handoverAt };
  }
}
