import type { LogSink } from './logging';
import type { EnvironmentAccess } from './environment';
import type { SystemAccess } from './system';
import type { Resources } from './resources';
import type { RegistryStore } from '../registry';
import type { MetricsCollector } from './metrics';
import type { SecurityAccess } from './security';

/**
 * Everything the runtime gives its Lua modules. Each part is optional: a bare VM (tests, tools) has none,
 * and a module then answers Internal errors where it would need it.
 */
export interface ModuleServices {
  /** Where `logger` records and global `print` go (default: nowhere). */
  readonly logs?: LogSink;
  readonly env?: EnvironmentAccess;
  readonly system?: SystemAccess;
  /** The registry as it changes at run time (`funcs`, `registry`). */
  readonly registry?: RegistryStore;
  /** The running services' facets (`sql.get`, `store.get`, `fs.get`, ...). */
  readonly resources?: Resources;
  /** Where `metrics` records (counters, gauges, histograms). */
  readonly metrics?: MetricsCollector;
  /** The security mode and the registry's policies (absent: permissive, no policies). */
  readonly security?: SecurityAccess;
}
