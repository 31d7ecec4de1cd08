/** `exec.native`: runs host commands for the `exec` module, with a default working directory and environment and an optional whitelist. */
import { isAbsolute, resolve } from 'path';
import { kindDefinition, serviceBase } from '../kind';
import type { ServiceEntry } from '../types';

export interface ExecNativeEntry extends ServiceEntry {
  kind: 'exec.native';
  /** Absolute, or '' for the runtime's own working directory. */
  defaultWorkDir: string;
  /** Always given to the processes (a call's `env` adds to it and wins). */
  defaultEnv: Record<string, string>;
  /** When not empty, only these exact command strings may run. */
  commandWhitelist: string[];
}

export const execKinds = kindDefinition<ExecNativeEntry>({
  kinds: ['exec.native'],
  parse: (f, base, ctx) => {
    const dir = f.has('default_work_dir') ? f.requiredString('default_work_dir') : '';
    return {
      ...serviceBase(f, base, false),
      kind: 'exec.native',
      defaultWorkDir: dir === '' || isAbsolute(dir) ? dir : resolve(ctx.root, dir),
      defaultEnv: f.stringMap('default_env'),
      commandWhitelist: f.stringList('command_whitelist'),
    };
  },
});
