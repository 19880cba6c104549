/**
 * A progress line for batch commands: done/total, rate and ETA, redrawn in place on a terminal's stderr.
 * It is written only to a TTY, and only to stderr, so stdout (tables, `--json` lines) stays clean for
 * pipes; `write` clears the line before output goes to stdout and redraws it after, because on a terminal
 * both streams land on the same screen.
 */

export interface ProgressStream {
  write(chunk: string): boolean;
  readonly isTTY?: boolean;
}

/** `7/15 done · 21.3 files/min · ETA 0:23`; no rate or ETA until the first item is done. */
export function formatProgress(done: number, total: number, elapsedMs: number): string {
  const perMinute = elapsedMs > 0 ? (done / elapsedMs) * 60_000 : 0;
  if (done === 0 || perMinute === 0) return `${done}/${total} done · ETA –`;
  const etaSeconds = Math.round(((total - done) / perMinute) * 60);
  return `${done}/${total} done · ${perMinute.toFixed(1)} files/min · ETA ${clock(etaSeconds)}`;
}

function clock(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

// Carriage return + "erase line" (ECMA-48 EL 2): the cursor goes back and the old text disappears.
const CLEAR = '\r\u001b[2K';

export class ProgressLine {
  private done = 0;
  private shown = false;
  private readonly ticker: NodeJS.Timeout | undefined;
  private readonly started: number;

  constructor(
    private readonly total: number,
    private readonly err: ProgressStream,
    private readonly now: () => number = Date.now,
    tickMs = 1000,
  ) {
    this.started = now();
    if (!err.isTTY) return;
    // The ETA moves while nothing finishes; unref so a forgotten line never holds the process open.
    this.ticker = setInterval(() => this.draw(), tickMs);
    this.ticker.unref();
    this.draw();
  }

  /** Writes `text` to `out` without tearing the progress line. */
  write(out: { write(chunk: string): boolean }, text: string): void {
    this.erase();
    out.write(text);
    this.draw();
  }

  itemDone(): void {
    this.done += 1;
    this.draw();
  }

  /** Removes the line for good. */
  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.erase();
  }

  private draw(): void {
    if (!this.err.isTTY) return;
    this.err.write(`${CLEAR}${formatProgress(this.done, this.total, this.now() - this.started)}`);
    this.shown = true;
  }

  private erase(): void {
    if (!this.shown) return;
    this.err.write(CLEAR);
    this.shown = false;
  }
}
