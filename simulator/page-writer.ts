/**
 * Builds a response body straight into one growing buffer. Pre-encoded pieces are copied as bytes
 * and short ASCII-only text is written as latin1, so a page is never a rope of strings that has to
 * be flattened and UTF-8 encoded as a whole.
 */
export class PageWriter {
  /** Buffers of finished pages, handed back by {@link PageWriter.recycle} once sent. */
  static readonly #free: Buffer[] = [];
  #buf = PageWriter.#free.pop() ?? Buffer.allocUnsafe(256 * 1024);
  #len = 0;

  constructor(head: string) {
    this.write(head);
  }

  /**
   * Gives this writer's buffer back for the next page: call it once the body returned by
   * {@link PageWriter.finish} has been sent. Saves allocating (and collecting) a page-sized buffer
   * per request, which at hundreds of pages a second dominates the simulator's GC.
   */
  recycle(): void {
    if (PageWriter.#free.length < 4) PageWriter.#free.push(this.#buf);
  }

  /** Appends any text, UTF-8 encoded. */
  write(s: string): void {
    this.#reserve(s.length * 3);
    this.#len += this.#buf.write(s, this.#len, 'utf8');
  }

  /**
   * Appends text the caller knows is ASCII only (digits, hex ids, dates, JSON punctuation). Short
   * pieces are stored char by char: cheaper than a native write's call for a few bytes.
   */
  ascii(s: string): void {
    const n = s.length;
    this.#reserve(n);
    if (n > 48) {
      this.#len += this.#buf.write(s, this.#len, 'latin1');
      return;
    }
    const buf = this.#buf;
    let at = this.#len;
    for (let i = 0; i < n; i++) buf[at++] = s.charCodeAt(i);
    this.#len = at;
  }

  /** Appends a non-negative integer below 2^53 in decimal, without making a string of it. */
  int(v: number): void {
    this.#reserve(16);
    const buf = this.#buf;
    if (v < 10) {
      buf[this.#len++] = 48 + v;
      return;
    }
    let digits = 1;
    for (let p = 10; p <= v; p *= 10) digits++;
    let at = this.#len + digits;
    this.#len = at;
    while (v >= 10) {
      const q = Math.floor(v / 10);
      buf[--at] = 48 + (v - q * 10);
      v = q;
    }
    buf[--at] = 48 + v;
  }

  /** Appends bytes already encoded as UTF-8. */
  bytes(b: Uint8Array): void {
    this.#reserve(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }

  /** The body written so far (a view, not a copy). */
  finish(): Buffer {
    return this.#buf.subarray(0, this.#len);
  }

  #reserve(n: number): void {
    if (this.#buf.length - this.#len >= n) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#len + n));
    this.#buf.copy(bigger, 0, 0, this.#len);
    this.#buf = bigger;
  }
}
