/**
 * `.wippy.yaml` `prometheus: {enabled, address}`: serves the runtime's metrics on `address` at `/metrics`
 * (src/services/metrics/). As in Wippy, a port that cannot be bound is logged and the runtime runs on.
 */
import type { LogSink } from '../api/logging';
import type { MetricsSource } from '../services/metrics/collector';
import { startExporter, type Exporter } from '../services/metrics/exporter';
import type { RuntimeConfig } from './config';
import { UsageError } from './errors';
import { messageOf } from '../lib/message';

export async function startPrometheus(config: RuntimeConfig, metrics: MetricsSource, logs: LogSink): Promise<Exporter | null> {
  const enabled = config.setting('prometheus.enabled');
  if (enabled !== true && enabled !== 'true') return null;
  const address = config.setting('prometheus.address');
  if (address === undefined || address === null || address === '') return null;
  if (typeof address !== 'string') throw new UsageError(`${config.file}: prometheus.address must be host:port`);
  try {
    const exporter = await startExporter(metrics, address);
    if (logs.enabled('info')) logs.write({ level: 'info', message: 'starting prometheus metrics server', logger: 'prometheus', fields: { address } });
    return exporter;
  } catch (e) {
    if (logs.enabled('error')) logs.write({ level: 'error', message: 'prometheus server failed', logger: 'prometheus', fields: { address, error: messageOf(e) } });
    return null;
  }
}
