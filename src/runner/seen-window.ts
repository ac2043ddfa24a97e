/**
 * The ids of records published recently, kept for `lookbackMs` behind the newest event time
 * seen: a re-read of the look-back window recognises what was already published.
 * Memory is bounded by the volume of one look-back window.
 */
export class SeenWindow {
  readonly lookbackMs: number;
  #ids = new Map<string, number>();
  #newest = Number.NEGATIVE_INFINITY;

  constructor(lookbackMs: number) {
    this.lookbackMs = lookbackMs;
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  /** Remembers a published record, then forgets those older than the window. */
  add(id: string, time: number): void {
    this.#ids.set(id, time);
    if (time > this.#newest) this.#newest = time;
  }

  /** Forgets ids older than the window. Records mostly arrive in time order, so this trims from the front. */
  evict(): void {
    const horizon = this.horizon();
    for (const [id, time] of this.#ids) {
      if (time >= horizon) break;
      this.#ids.delete(id);
    }
  }

  /** Event time before which records are no longer remembered. */
  horizon(): number {
    return this.#newest - this.lookbackMs;
  }

  get size(): number {
    return this.#ids.size;
  }
}
