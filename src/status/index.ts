/** What operators see of the service's state in Redis: quota days, connection states, cursors. */
export {
  CONNECTION_STATES,
  type ConnectionState,
  type ConnectionStatus,
  connectionStatusKey,
  readConnectionStatus,
} from './connection-status.ts';
export { type StreamView, viewCursor } from './cursor-view.ts';
export {
  type ConnectionView,
  connectionsByInstance,
  type InstanceView,
  quotaOf,
  readInstance,
  readStatus,
  type StatusSnapshot,
  type StatusSource,
} from './snapshot.ts';
export { ConnectionStatusWriter, type StateDetail, type WrittenState } from './status-writer.ts';
