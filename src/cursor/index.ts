/** The Redis mirror of committed cursors. */
export { CursorStore, type StoredCursor } from './cursor-store.ts';
