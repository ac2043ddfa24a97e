/** The one retry policy: exponential backoff with full jitter on the injected clock, acting on `retriable`. */
export { type Backoff, backoffDelay } from './backoff.ts';
export { type RetryDecision, type RetryOptions, retriableDecision, retry } from './retry.ts';
