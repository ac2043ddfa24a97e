/** Redis keys of one Marketo instance's quota (documented in the README; the `{…}` hash tag keeps them in one cluster slot). */
export interface QuotaKeys {
  /** Hash for one Central calendar day: used, limit, resetAt, exhausted, ep:<endpoint>, err:<code>. */
  day: string;
  /** Sorted set: one member per call reserved in the sliding 20 s window, scored by reservation time (ms). */
  rate: string;
  /** Sorted set: one member per call in flight, scored by the time (ms) the slot expires if never released. */
  inflight: string;
}

/** The quota keys of `instance` for the calendar day `date` (YYYY-MM-DD, in the quota's time zone). */
export function quotaKeys(instance: string, date: string): QuotaKeys {
  return {
    day: `mkto:{${instance}}:quota:${date}`,
    rate: `mkto:{${instance}}:rate`,
    inflight: `mkto:{${instance}}:inflight`,
  };
}
