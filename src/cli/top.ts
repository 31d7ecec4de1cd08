/**
 * `wisp top`: attaches to the `wisp run` of a project through its control socket and redraws, every interval,
 * the node totals, services, hosts and processes. Keys: p e s m r c sort (pid, entry, state, mailbox, run
 * time, coroutines), / filters (Enter keeps, Esc clears), q quits. Without a terminal (or with --once) it
 * prints one frame and exits.
 */
import { ControlClient } from './control-client';
import { frame, messageRate, SORT_KEYS, type ViewOptions } from './live-format';
import type { SortColumn } from '../hosts/snapshot';
import type { SystemSnapshot } from '../api/system';
import { UsageError } from './errors';
import { printable } from '../util/printable';

export interface TopFlags {
  once?: boolean;
  delay: string;
  sort: SortColumn;
  filter: string;
}

const KEYS_HELP = 'keys: p e s m r c sort (pid entry state mailbox run coroutines)  / filter  Esc clear  q quit';

export async function top(root: string, flags: TopFlags): Promise<number> {
  const delay = delayMs(flags.delay);
  const client = await ControlClient.connect(root);
  const view: ViewOptions = { sort: flags.sort, filter: flags.filter };
  const interactive = flags.once !== true && process.stdout.isTTY === true && process.stdin.isTTY === true;
  if (!interactive) {
    // A rate needs two snapshots; one frame without it would always say "-".
    const first = await client.snapshot({ limit: 0 });
    await new Promise((r) => setTimeout(r, 250));
    const second = await client.snapshot(view);
    client.close();
    process.stdout.write(`${frame(second, messageRate(first, second), view).join('\n')}\n`);
    return 0;
  }
  return new Screen(client, view, delay).run();
}

function delayMs(text: string): number {
  const s = Number(text);
  if (!Number.isFinite(s) || s < 0.1) throw new UsageError(`--delay ${text}: seconds, at least 0.1`);
  return s * 1000;
}

class Screen {
  private previous: SystemSnapshot | null = null;
  private last: SystemSnapshot | null = null;
  private rate: number | null = null;
  /** The filter being typed after `/` (null when not typing). */
  private typing: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private finish: (code: number) => void = () => undefined;
  /** Said on stderr once the screen is restored. */
  private farewell = '';

  constructor(
    private readonly client: ControlClient,
    private readonly view: ViewOptions,
    private readonly delay: number,
  ) {}

  run(): Promise<number> {
    const done = new Promise<number>((resolve) => (this.finish = resolve));
    process.stdout.write('\x1b[?1049h\x1b[?25l');
    process.stdin.setRawMode(true);
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (keys: string) => this.keys(keys));
    process.stdout.on('resize', () => this.draw());
    void this.tick();
    return done.finally(() => {
      if (this.timer !== null) clearTimeout(this.timer);
      process.stdin.setRawMode(false);
      process.stdin.pause();
      process.stdout.write('\x1b[?25h\x1b[?1049l');
      this.client.close();
      process.stderr.write(this.farewell);
    });
  }

  private async tick(): Promise<void> {
    try {
      // Only the rows that fit are sent: a run with 100k processes costs a screenful a refresh.
      const s = await this.client.snapshot({ ...this.view, limit: Math.max(1, (process.stdout.rows ?? 40) - 2) });
      this.previous = this.last;
      this.last = s;
      this.rate = messageRate(this.previous, s) ?? this.rate;
      this.draw();
      this.timer = setTimeout(() => void this.tick(), this.delay);
    } catch {
      this.stop(0, 'the wisp run has stopped\n');
    }
  }

  private stop(code: number, message = ''): void {
    this.farewell = message;
    this.finish(code);
  }

  private keys(input: string): void {
    for (const key of input) {
      if (this.typing !== null) {
        if (key === '\r' || key === '\n') {
          this.view.filter = this.typing;
          this.typing = null;
        } else if (key === '\x1b') {
          this.typing = null;
          this.view.filter = '';
        } else if (key === '\x7f' || key === '\b') this.typing = this.typing.slice(0, -1);
        else if (key === '\x03') return this.stop(0);
        else if (key >= ' ') this.typing += key;
        continue;
      }
      if (key === 'q' || key === '\x03') return this.stop(0);
      if (key === '/') this.typing = '';
      else if (key === '\x1b') this.view.filter = '';
      else if (key in SORT_KEYS) this.view.sort = SORT_KEYS[key];
    }
    this.draw();
  }

  private draw(): void {
    if (this.last === null) return;
    const columns = process.stdout.columns ?? 120;
    const rows = process.stdout.rows ?? 40;
    const status = this.typing !== null ? `filter: ${printable(this.typing)}_` : KEYS_HELP;
    const lines = frame(this.last, this.rate, this.view).slice(0, rows - 2);
    const text = [...lines, '', status].map((l) => (l.length > columns ? l.slice(0, columns) : l));
    process.stdout.write(`\x1b[H\x1b[2J${text.join('\r\n')}`);
  }
}
