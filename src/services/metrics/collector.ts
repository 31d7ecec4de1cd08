/**
 * The runtime's metrics (spec.md beside this file): what Lua records with the `metrics` module, kept in a
 * prom-client registry that the Prometheus exporter serves. One metric per name (made Prometheus-safe), with
 * the label names and type of its first record; a record that disagrees is dropped and counted, as are
 * records past the series limit, so a script cannot grow the registry without bound.
 */
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { MetricLabels, MetricsCollector } from '../../api/metrics';

/** Distinct label combinations kept over all metrics. */
export const MAX_SERIES = 10_000;
const MAX_NAME = 256;
const MAX_LABEL_VALUE = 1024;

type Kind = 'counter' | 'gauge' | 'histogram';
/** One registry's metrics as plain data (prom-client's JSON), which a thread can post to another. */
export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** What the Prometheus exporter serves: the text exposition and its content type. */
export interface MetricsSource {
  readonly contentType: string;
  text(): Promise<string>;
}
type Metric = Counter<string> | Gauge<string> | Histogram<string>;

interface Entry {
  readonly kind: Kind;
  readonly metric: Metric;
  /** Sorted sanitized label names, joined: records must have the same. */
  readonly labelKey: string;
  readonly series: Set<string>;
}

/**
 * A name as Prometheus' text format takes it: Wippy's names may hold dots (`app.requests.total`), which
 * client_golang's default exposition turns into underscores; so does this.
 */
export function metricName(name: string): string {
  const safe = name.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[0-9]/.test(safe) ? `_${safe}` : safe;
}

function labelName(name: string): string {
  const safe = name.replace(/[^a-zA-Z0-9_]/g, '_');
  const lead = /^[0-9]/.test(safe) ? `_${safe}` : safe;
  return lead.startsWith('__') ? `x${lead}` : lead;
}

export class MetricsRegistry implements MetricsCollector, MetricsSource {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;
  private readonly metrics = new Map<string, Entry>();
  private seriesCount = 0;
  /** Records dropped: a type or label set other than the metric's, a bad name, or past the series limit. */
  dropped = 0;

  counterAdd(name: string, value: number, labels: MetricLabels): void {
    // prom-client refuses to decrease a counter; Prometheus counters only go up.
    if (!(value >= 0)) return void this.dropped++;
    this.with('counter', name, labels, (m, l) => (m as Counter<string>).inc(l, value));
  }

  gaugeSet(name: string, value: number, labels: MetricLabels): void {
    this.with('gauge', name, labels, (m, l) => (m as Gauge<string>).set(l, value));
  }

  gaugeAdd(name: string, delta: number, labels: MetricLabels): void {
    this.with('gauge', name, labels, (m, l) => (m as Gauge<string>).inc(l, delta));
  }

  histogramObserve(name: string, value: number, labels: MetricLabels): void {
    this.with('histogram', name, labels, (m, l) => (m as Histogram<string>).observe(l, value));
  }

  /** The text exposition (what `/metrics` serves). */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** The metrics as plain data, for thread 1 to add up with the other threads' (summedText). */
  json(): Promise<MetricsJson> {
    return this.registry.getMetricsAsJSON();
  }

  private with(kind: Kind, rawName: string, raw: MetricLabels, record: (m: Metric, labels: Record<string, string>) => void): void {
    if (rawName === '' || rawName.length > MAX_NAME) return void this.dropped++;
    const name = metricName(rawName);
    const labels: Record<string, string> = {};
    for (const [k, v] of raw) {
      if (k === '' || k.length > MAX_NAME || v.length > MAX_LABEL_VALUE) return void this.dropped++;
      labels[labelName(k)] = v;
    }
    const names = Object.keys(labels).sort();
    const labelKey = names.join(',');
    let entry = this.metrics.get(name);
    if (entry === undefined) {
      if (this.seriesCount >= MAX_SERIES) return void this.dropped++;
      const config = { name, help: name, labelNames: names, registers: [this.registry] };
      const metric = kind === 'counter' ? new Counter(config) : kind === 'gauge' ? new Gauge(config) : new Histogram(config);
      entry = { kind, metric, labelKey, series: new Set() };
      this.metrics.set(name, entry);
    }
    if (entry.kind !== kind || entry.labelKey !== labelKey) return void this.dropped++;
    const series = names.map((n) => labels[n]).join('\u0000');
    if (!entry.series.has(series)) {
      if (this.seriesCount >= MAX_SERIES) return void this.dropped++;
      entry.series.add(series);
      this.seriesCount++;
    }
    record(entry.metric, labels);
  }
}

/**
 * The text exposition of several threads' metrics, series by series added up (prom-client's aggregator):
 * counters and histograms count the node's records; a gauge is the sum of what each thread set.
 */
export function summedText(parts: readonly MetricsJson[]): Promise<string> {
  return AggregatorRegistry.aggregate([...parts]).metrics();
}
