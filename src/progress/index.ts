/** Progress for people: a backfill's per-stream state as a block redrawn on a terminal. */
export {
  type BackfillProgressOptions,
  backfillDone,
  formatBackfillProgress,
  showBackfillProgress,
} from './backfill-progress.ts';
export { num, type StreamProgress, streamProgress } from './stream-progress.ts';
export { TerminalBlock, type TerminalStream } from './terminal-block.ts';
