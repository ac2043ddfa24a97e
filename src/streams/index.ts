/** The Marketo objects as stream declarations, and the set of them one connection runs. */
export type { AnyStreamDefinition, FetchedPage, StreamContext, StreamCursor, StreamDefinition } from './stream.ts';
export { StreamSet, type StreamSetDeps } from './stream-set.ts';
