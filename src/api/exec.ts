/**
 * The `exec` facet of an `exec.native` entry: makes host processes (src/lib/native-process.ts) for the `exec`
 * module, applying the entry's defaults and whitelist.
 */
import type { NativeProcess } from '../lib/native-process';

export interface ProcessExecutor {
  /**
   * A process for `command`, not started. Throws an ExecRefused (src/lib/native-process.ts) when the whitelist does not allow it. `workDir`
   * (else the entry's default) and `env` (over the entry's default) apply.
   */
  newProcess(command: string, options: { workDir?: string; env?: Readonly<Record<string, string>> }): NativeProcess;
}

declare module './resources' {
  interface Facets {
    exec: ProcessExecutor;
  }
}
