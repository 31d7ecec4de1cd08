/** `wisp ps`: one snapshot of the running project, as the process table or (`--json`) the whole snapshot. */
import { ControlClient } from './control-client';
import { processLines, selectProcesses, type SortColumn } from './live-format';

export interface PsFlags {
  json?: boolean;
  sort: SortColumn;
  filter: string;
}

export async function ps(root: string, flags: PsFlags): Promise<number> {
  const client = await ControlClient.connect(root);
  try {
    const s = await client.snapshot();
    if (flags.json === true) process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
    else process.stdout.write(`${processLines(s, selectProcesses(s, { sort: flags.sort, filter: flags.filter })).join('\n')}\n`);
    return 0;
  } finally {
    client.close();
  }
}
