/** Progress for people: each stream's state as a block kept under the log lines of a terminal. */
export { formatProgressBlock, type ProgressBlockOptions, showProgressBlock } from './progress-block.ts';
export { num, type StreamProgress, streamProgress } from './stream-progress.ts';
export { TerminalBlock, type TerminalStream } from './terminal-block.ts';
