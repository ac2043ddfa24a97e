/** The Redis mirror of committed cursors. */
export { type CursorLike, CursorStore, type CursorStoreOptions, type StoredCursor } from './cursor-store.ts';
