/** The Redis mirror of committed cursors. */
export { CursorStore } from './cursor-store.ts';
