/** Where the `metrics` module records (src/services/metrics/collector.ts; Wippy's metrics.Collector). */
export type MetricLabels = ReadonlyMap<string, string>;

export interface MetricsCollector {
  counterAdd(name: string, value: number, labels: MetricLabels): void;
  gaugeSet(name: string, value: number, labels: MetricLabels): void;
  gaugeAdd(name: string, delta: number, labels: MetricLabels): void;
  histogramObserve(name: string, value: number, labels: MetricLabels): void;
}
