/** A progress bar with rate and ETA on stderr (a line every 5% when stderr is not a terminal). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
}

export class Progress {
  private done = 0;
  private readonly start = performance.now();
  private lastDraw = 0;
  private lastStep = -1;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly quiet = false,
  ) {
    this.tty = Boolean(stream.isTTY);
    this.draw(true);
  }

  tick(n = 1): void {
    this.done += n;
    this.draw(this.done >= this.total);
  }

  private line(): string {
    const elapsed = (performance.now() - this.start) / 1000;
    const rate = elapsed > 0 ? this.done / elapsed : 0;
    const eta = rate > 0 ? (this.total - this.done) / rate : Infinity;
    const frac = this.total ? this.done / this.total : 1;
    const width = 28;
    const filled = Math.round(frac * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    return `${this.label} [${bar}] ${this.done}/${this.total} ${(frac * 100).toFixed(0)}% ${rate.toFixed(1)}/s elapsed ${formatDuration(elapsed)} ETA ${this.done >= this.total ? '0s' : formatDuration(eta)}`;
  }

  private draw(force: boolean): void {
    if (this.quiet) return;
    const now = performance.now();
    if (this.tty) {
      if (!force && now - this.lastDraw < 200) return;
      this.lastDraw = now;
      this.stream.write(`\r${this.line()}\x1b[K`);
    } else {
      const step = this.total ? Math.floor((this.done / this.total) * 20) : 20;
      if (step === this.lastStep && !(force && this.done >= this.total && this.lastStep !== 20)) return;
      this.lastStep = step;
      this.stream.write(`${this.line()}\n`);
    }
  }

  finish(): number {
    const elapsed = (performance.now() - this.start) / 1000;
    if (!this.quiet && this.tty) this.stream.write(`\r${this.line()}\x1b[K\n`);
    return elapsed;
  }
}
