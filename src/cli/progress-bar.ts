import { formatBytes } from '../units.js';

/** Redraws at most this often: a terminal does not need more, and each redraw is a write to stderr. */
const REDRAW_MS = 100;
const WIDTH = 24;

/**
 * A one-line progress bar on a terminal: label, bar, bytes, MB/s and ETA. Does nothing when stderr is
 * not a TTY (CI logs, pipes), so scripted runs stay clean.
 */
export class ProgressBar {
  private lastDraw = 0;
  private readonly started = performance.now();
  private drawn = false;

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly enabled: boolean = Boolean(process.stderr.isTTY),
  ) {}

  update(bytes: number, total: number | undefined, phase: string): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? bytes / seconds : 0;
    const fraction = total ? Math.min(1, bytes / total) : 0;
    const filled = Math.round(fraction * WIDTH);
    const bar = total
      ? `[${'='.repeat(filled)}${filled < WIDTH ? '>' : ''}${' '.repeat(Math.max(0, WIDTH - filled - 1))}]`
      : '';
    const eta = total && rate > 0 ? ` ETA ${Math.max(0, (total - bytes) / rate).toFixed(0)}s` : '';
    const amount = total ? `${formatBytes(bytes)}/${formatBytes(total)}` : formatBytes(bytes);
    const line = `${this.label} ${phase} ${bar} ${amount} ${(rate / 1e6).toFixed(1)} MB/s${eta}`;
    this.stream.write(`\r${line.slice(0, (this.stream.columns || 100) - 1)}\x1b[K`);
    this.drawn = true;
  }

  clear(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}
