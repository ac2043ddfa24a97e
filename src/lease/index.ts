/** One worker per connection: the Redis lease a worker holds while it works on a connection. */
export { ConnectionLease, leaseKey } from './lease.ts';
export { reconnectWhileLeased } from './reconnect.ts';
