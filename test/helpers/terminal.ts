/** A Terminal a test types into: lines are handed out as the test provides them; output is collected. */
import type { Terminal } from '../../src/api/terminal';
import { plain } from './cli';

export class ScriptedTerminal implements Terminal {
  out = '';
  private readonly lines: (string | null)[] = [];
  private readonly readers: ((line: string | null) => void)[] = [];

  constructor(readonly args: readonly string[] = []) {}

  write(text: string): void {
    this.out += plain(text);
  }

  writeError(text: string): void {
    this.out += plain(text);
  }

  type(line: string | null): void {
    const reader = this.readers.shift();
    if (reader !== undefined) reader(line);
    else this.lines.push(line);
  }

  readLine(): Promise<string | null> {
    if (this.lines.length > 0) return Promise.resolve(this.lines.shift() as string | null);
    return new Promise((resolve) => this.readers.push(resolve));
  }

  read(): Promise<string | null> {
    return this.readLine();
  }

  async waitFor(pattern: RegExp | string, ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    const found = () => (typeof pattern === 'string' ? this.out.includes(pattern) : pattern.test(this.out));
    while (!found()) {
      if (Date.now() > end) throw new Error(`terminal never showed ${pattern}:\n${this.out}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
