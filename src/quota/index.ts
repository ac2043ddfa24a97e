/** The shared Marketo API budget of an instance: daily quota, 20 s pacing, in-flight limit. */
export { Quota, type QuotaStatus } from './quota.ts';
