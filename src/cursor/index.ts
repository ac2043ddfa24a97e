/** The Redis mirror of committed cursors. */
export { CursorStore, type CursorStoreOptions, type StoredCursor } from './cursor-store.ts';
