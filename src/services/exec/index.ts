/**
 * The `exec.native` service: a configuration kind offering the `exec` facet. It keeps the processes it made,
 * and stopping it (the runtime's shutdown, the entry deleted) kills each one's process group.
 */
import { normalize } from 'path';
import { ExecRefused, NativeProcess } from '../../lib/native-process';
import { serviceDefinition } from '../service';
import type { ExecNativeEntry } from '../../registry/kinds/exec';
import type { ProcessExecutor } from '../../api/exec';

export const execServices = serviceDefinition<ExecNativeEntry>({
  kinds: ['exec.native'],
  start: (entry) => {
    const running = new Set<NativeProcess>();
    const executor: ProcessExecutor = {
      newProcess(command, options) {
        if (entry.commandWhitelist.length > 0 && !entry.commandWhitelist.includes(command)) throw new ExecRefused('command not allowed');
        const workDir = options.workDir !== undefined && options.workDir !== '' ? options.workDir : entry.defaultWorkDir;
        return new NativeProcess(command, { workDir: workDir === '' ? '' : normalize(workDir), env: { ...entry.defaultEnv, ...options.env }, running });
      },
    };
    return {
      facets: { exec: executor },
      stop: async () => {
        for (const p of running) p.stop(true);
      },
    };
  },
});
