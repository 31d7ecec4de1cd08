/** `wisp run list`: the entries that declare `meta.command` (Wippy's command metadata), as Wippy lists them. */
import type { Registry } from '../registry';
import { paint } from './logs';

interface CommandMeta {
  readonly name: string;
  readonly short: string;
}

function commandMeta(meta: Readonly<Record<string, unknown>>): CommandMeta | null {
  const command = meta.command;
  if (command === null || typeof command !== 'object' || Array.isArray(command)) return null;
  const { name, short } = command as Record<string, unknown>;
  if (typeof name !== 'string' || name === '') return null;
  return { name, short: typeof short === 'string' ? short : '' };
}

/** The `meta.command.name` an entry answers to, if any. */
export function commandName(meta: Readonly<Record<string, unknown>>): string | undefined {
  return commandMeta(meta)?.name;
}

export function commandList(registry: Registry): string {
  const commands = registry
    .entries()
    .filter((e) => e.kind.startsWith('process.'))
    .flatMap((e) => {
      const c = commandMeta(e.meta);
      return c === null ? [] : [{ ...c, id: e.id }];
    });
  if (commands.length === 0) {
    return 'No commands found.\n\nTo define a command, add \'command\' to entry meta:\n  meta:\n    command:\n      name: test\n      short: Run tests\n';
  }
  const lines = commands.map((c) => `  ${paint.bold.green(c.name)}${c.short === '' ? '' : `  ${c.short}`}  ${paint.gray(`(${c.id})`)}`);
  return `${paint.bold.blueBright('Available commands:')}\n\n${lines.join('\n')}\n\n${paint.gray('Run with: wisp run <command>')}\n`;
}

