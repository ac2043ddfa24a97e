export {
  balanceConnections,
  CONNECTION_ASSIGNER,
  connectionAssigner,
  decodeAssignment,
  encodeAssignment,
  type MemberLoad,
} from './assigner.ts';
export { ConnectionCatalog } from './connection-catalog.ts';
export {
  type ConnectionRecord,
  connectionsTopic,
  decodeConnectionRecord,
  encodeConnectionRecord,
  resolveConnection,
  validateConnectionRecord,
} from './connection-record.ts';
export { readConnections, writeConnections } from './connection-store.ts';
export { ensureConnectionsTopic, fleetGroupId, runFleetWorker } from './fleet.ts';
export { FleetMembership, type MembershipOptions } from './membership.ts';
export { type ConnectionResults, type StartConnection, Supervisor } from './supervisor.ts';
