export { ConnectionLease, type LeaseOptions, leaseKey } from './lease.ts';
