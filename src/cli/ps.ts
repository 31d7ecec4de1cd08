/** `wisp ps`: one snapshot of the running project, as the process table or (`--json`) the whole snapshot. */
import { ControlClient } from './control-client';
import { errorLines, processLines, threadLines } from './live-format';
import { printable } from '../util/printable';
import type { SortColumn } from '../hosts/snapshot';

export interface PsFlags {
  json?: boolean;
  sort: SortColumn;
  filter: string;
  limit?: number;
}

export async function ps(root: string, flags: PsFlags): Promise<number> {
  const client = await ControlClient.connect(root);
  try {
    const s = await client.snapshot({ sort: flags.sort, filter: flags.filter, ...(flags.limit === undefined ? {} : { limit: flags.limit }) });
    // JSON escapes C0 controls; printable() the rest (DEL, C1, reordering marks): the same data once parsed.
    if (flags.json === true) process.stdout.write(`${printable(JSON.stringify(s, null, 2), true)}\n`);
    else {
      const errors = errorLines(s, flags.filter);
      const threads = threadLines(s);
      const sections = [processLines(s, s.processes), errors, threads].filter((lines) => lines.length > 0);
      process.stdout.write(`${sections.map((lines) => lines.join('\n')).join('\n\n')}\n`);
    }
    return 0;
  } finally {
    client.close();
  }
}
