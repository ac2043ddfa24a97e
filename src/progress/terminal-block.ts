import { Writable } from 'node:stream';

/** A terminal stream: what TerminalBlock draws on. */
export type TerminalStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

const ERASE_LINE_UP = '\x1b[1A\x1b[2K';

/**
 * A block of lines kept at the bottom of a terminal and redrawn in place, with other output (log
 * lines) written above it: `write` erases the block, writes the text and draws the block again.
 * Lines are cut to the terminal's width so the block's height is what it erases.
 */
export class TerminalBlock {
  readonly #out: TerminalStream;
  #lines: string[] = [];

  constructor(out: TerminalStream) {
    this.#out = out;
  }

  /** Replaces the block's lines. */
  draw(lines: readonly string[]): void {
    const width = Math.max(20, (this.#out.columns || 120) - 1);
    const next = lines.map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l));
    this.#out.write(this.#erase() + next.map((l) => `${l}\n`).join(''));
    this.#lines = next;
  }

  /** Writes `text` (whole lines) above the block. */
  write(text: string): void {
    const lines = this.#lines.map((l) => `${l}\n`).join('');
    this.#out.write(this.#erase() + text + lines);
  }

  /**
   * A stream whose writes go above the block (give it to the logger): a terminal like the block's,
   * so the logger's `auto` format pretty-prints.
   */
  stream(): Writable & { isTTY: boolean; columns?: number } {
    const out = this.#out;
    const stream = new Writable({
      write: (chunk, _encoding, done) => {
        this.write(String(chunk));
        done();
      },
    });
    return Object.assign(stream, { isTTY: out.isTTY === true, columns: out.columns });
  }

  /** Leaves the block's last lines on the screen as ordinary output; later writes go below them. */
  release(): void {
    this.#lines = [];
  }

  #erase(): string {
    return ERASE_LINE_UP.repeat(this.#lines.length);
  }
}
