/** The shared Marketo API budget of an instance: daily quota, 20 s pacing, in-flight limit. */
export { type LocalDay, localDate, localDay, nextMidnight } from './day.ts';
export { type QuotaKeys, quotaKeys } from './keys.ts';
export { Quota, type QuotaOptions, type QuotaStatus, type ReleaseOutcome, type Reservation } from './quota.ts';
