/** Lead ids per page of the set (one bit each: 8 KB a page). */
const PAGE_IDS = 65_536;

interface Page {
  bits: Uint8Array;
  /** The earliest instant added with an id of this page. */
  earliestAt: number;
}

/**
 * A set of lead ids as a sparse bitmap, each id with an instant kept per page: pages of 65,536
 * ids, allocated when the first id of their range is added. Memory follows the id range in use,
 * not the count: at most 8 KB per 65,536 ids (12.5 MB for ids up to 100 million), where a
 * `Map<number, number>` of a million leads takes tens of MB. The instant of an id is the earliest
 * one added in its page, never later than its own.
 */
export class LeadIdSet {
  readonly #pages = new Map<number, Page>();
  #size = 0;

  /** Adds lead `id` (a positive safe integer; others are ignored) with instant `at` (epoch ms). */
  add(id: number, at = 0): void {
    if (!Number.isSafeInteger(id) || id <= 0) return;
    const key = Math.floor(id / PAGE_IDS);
    let page = this.#pages.get(key);
    if (!page) {
      page = { bits: new Uint8Array(PAGE_IDS / 8), earliestAt: at };
      this.#pages.set(key, page);
    }
    page.earliestAt = Math.min(page.earliestAt, at);
    const bit = id % PAGE_IDS;
    const byte = page.bits[bit >> 3] ?? 0;
    const mask = 1 << (bit & 7);
    if ((byte & mask) === 0) {
      page.bits[bit >> 3] = byte | mask;
      this.#size++;
    }
  }

  has(id: number): boolean {
    return this.earliestAt(id) !== undefined;
  }

  /** A lower bound of the instant `id` was added with (see the class), or undefined when it is not in the set. */
  earliestAt(id: number): number | undefined {
    if (!Number.isSafeInteger(id) || id <= 0) return undefined;
    const page = this.#pages.get(Math.floor(id / PAGE_IDS));
    if (!page) return undefined;
    const bit = id % PAGE_IDS;
    return ((page.bits[bit >> 3] ?? 0) & (1 << (bit & 7))) !== 0 ? page.earliestAt : undefined;
  }

  /** Ids in the set. */
  get size(): number {
    return this.#size;
  }

  /** Bytes the pages' bitmaps take. */
  get bytes(): number {
    return this.#pages.size * (PAGE_IDS / 8);
  }
}
