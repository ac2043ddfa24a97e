/** The shared Marketo API budget of an instance: daily quota, 20 s pacing, in-flight limit. */

/** A connection's share of its instance's in-flight slots (its streams take turns within it). */
export { ConnectionShare } from './connection-share.ts';
export { Quota, type QuotaStatus } from './quota.ts';
