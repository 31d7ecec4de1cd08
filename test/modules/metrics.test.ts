/**
 * `metrics` through real Lua into the real prom-client registry; the `.wippy.yaml` `prometheus` export
 * through the real `wisp run` CLI, scraped over a real socket.
 */
import { writeFileSync } from 'fs';
import { join } from 'path';
import { createServer, type AddressInfo } from 'net';
import { createVM } from '../../src/modules';
import { MetricsRegistry, MAX_SERIES } from '../../src/services/metrics/collector';
import { parseAddress } from '../../src/services/metrics/exporter';
import { spawn } from '../helpers/lua';
import { indexWithHosts, startWisp, writeProject } from '../helpers/cli';
import { until } from '../helpers/poll';
import { valueToPlain } from '../../src/engine/plain';

async function runMetrics(body: string, metrics?: MetricsRegistry): Promise<unknown> {
  const vm = createVM({ metrics });
  const r = await spawn(vm, `local metrics = require("metrics")\nlocal function main()\n${body}\nend\nreturn { main = main }`, 'test:metrics', [], ['metrics']).exit;
  if (r.error) throw new Error(r.error.stack ?? r.error.message);
  return valueToPlain(r.value);
}

describe('metrics module', () => {
  test('counters, gauges and histograms reach the registry; Wippy\'s dotted names come out with underscores', async () => {
    const m = new MetricsRegistry();
    const r = await runMetrics(`
      local out = {}
      out[1] = { metrics.counter_inc("test.counter.basic") }
      metrics.counter_inc("test.counter.basic")
      metrics.counter_add("orders_total", 5, { status = "ok", number = 123, flag = true })
      metrics.counter_add("orders_total", 2.5, { status = "ok" })
      metrics.counter_inc("orders_total", { status = "error" })
      metrics.gauge_set("queue.depth", 42, { queue = "emails" })
      metrics.gauge_inc("pending", {})
      metrics.gauge_inc("pending")
      metrics.gauge_dec("pending")
      metrics.histogram("request_duration_seconds", 0.123, { endpoint = "create_order" })
      metrics.histogram("request_duration_seconds", 3, { endpoint = "create_order" })
      out[2] = { metrics.histogram("request_duration_seconds", 0, { endpoint = "create_order" }) }
      return out`, m);
    expect(r).toEqual([[true], [true]]);
    const text = await m.text();
    expect(text).toContain('test_counter_basic 2');
    expect(text).toContain('orders_total{status="ok"} 7.5');
    expect(text).toContain('orders_total{status="error"} 1');
    expect(text).toContain('queue_depth{queue="emails"} 42');
    expect(text).toContain('pending 1');
    expect(text).toContain('request_duration_seconds_count{endpoint="create_order"} 3');
    expect(text).toContain('request_duration_seconds_bucket{le="0.25",endpoint="create_order"} 2');
    expect(text).toContain('# TYPE request_duration_seconds histogram');
  });

  test('Wippy\'s tests/app metrics suite calls all answer true, nil', async () => {
    const m = new MetricsRegistry();
    const r = await runMetrics(`
      local all = {}
      local function check(ok, err) all[#all + 1] = ok == true and err == nil end
      check(metrics.counter_inc("test.counter.labels", { method = "GET", path = "/api/users" }))
      check(metrics.counter_add("test.counter.add.labels", 10, { batch = "batch-1" }))
      check(metrics.gauge_set("test.gauge.set.labels", 100, { queue = "emails" }))
      check(metrics.gauge_dec("test.gauge.dec.labels", { connection = "active" }))
      check(metrics.histogram("test.histogram.values", 1000))
      check(metrics.counter_inc("test.empty.labels", {}))
      return all`, m);
    expect(r).toEqual([true, true, true, true, true, true]);
  });

  test('records that disagree with a metric are dropped, not fatal: other type, other labels, a negative counter', async () => {
    const m = new MetricsRegistry();
    const r = await runMetrics(`
      metrics.counter_inc("shared", { a = "1" })
      local out = { metrics.gauge_set("shared", 5, { a = "1" }), metrics.counter_inc("shared", { b = "2" }), metrics.counter_add("shared", -1, { a = "1" }) }
      out.bad_value = select(2, pcall(metrics.counter_add, "x", "not a number"))
      out.bad_name = select(2, pcall(metrics.counter_inc, {}))
      return out`, m);
    expect(r).toMatchObject({ 1: true, 2: true, 3: true });
    expect((r as Record<string, string>).bad_value).toMatch(/number expected/);
    expect((r as Record<string, string>).bad_name).toMatch(/string expected/);
    expect(m.dropped).toBe(3);
    expect(await m.text()).toContain('shared{a="1"} 1');
  });

  test('label cardinality is bounded: a script minting unique labels stops growing the registry at the series limit', async () => {
    const m = new MetricsRegistry();
    await runMetrics(`for i = 1, ${MAX_SERIES + 500} do metrics.counter_inc("hits", { id = tostring(i) }) end`, m);
    expect(m.dropped).toBe(500);
    expect((await m.text()).split('\n').filter((l) => l.startsWith('hits{')).length).toBe(MAX_SERIES);
  });

  test('without a collector (a bare VM) every call answers nil and an Internal error', async () => {
    const r = await runMetrics(`local ok, err = metrics.counter_inc("x") return { ok == nil, err:kind(), err:message(), err:retryable() }`);
    expect(r).toEqual([true, 'Internal', 'metrics collector not available', false]);
  });

  test('listen addresses as Go writes them', () => {
    expect(parseAddress('localhost:9090')).toEqual({ host: 'localhost', port: 9090 });
    expect(parseAddress(':9090')).toEqual({ host: undefined, port: 9090 });
    expect(parseAddress('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(() => parseAddress('9090')).toThrow(/expected host:port/);
  });
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Has the project at `dir` export its metrics on `port` (`.wippy.yaml` `prometheus`). */
function exportOn(dir: string, port: number): void {
  writeFileSync(join(dir, '.wippy.yaml'), `version: "1.0"\nprometheus:\n  enabled: true\n  address: "127.0.0.1:${port}"\n`);
}

/** The exporter's `/metrics` text once it shows `wanted` (the run records as it starts). */
function scraped(port: number, wanted: string): Promise<string> {
  return until(`/metrics to show ${wanted}`, async () => {
    const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
    return text.includes(wanted) && text;
  });
}

describe('prometheus export (wisp run)', () => {
  test('.wippy.yaml prometheus: {enabled, address} serves what Lua records at /metrics', async () => {
    const port = await freePort();
    const dir = writeProject({
      '_index.yaml': indexWithHosts('app', `
  - name: worker
    kind: process.lua
    source: file://worker.lua
    method: main
    modules: [metrics, time]`),
      'worker.lua': `local metrics = require("metrics")
local time = require("time")
local function main()
  metrics.counter_add("orders_total", 3, { status = "ok" })
  metrics.gauge_set("app.queue.depth", 7)
  time.sleep("20s")
end
return { main = main }`,
    });
    exportOn(dir, port);
    const w = startWisp(['run', '-x', 'app:worker'], dir);
    try {
      const text = await scraped(port, 'orders_total');
      expect(text).toContain('orders_total{status="ok"} 3');
      expect(text).toContain('app_queue_depth 7');
      const live = await fetch(`http://127.0.0.1:${port}/livez`);
      expect(live.status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
      expect(w.err()).not.toMatch(/prometheus.* is not used/);
    } finally {
      w.child.kill('SIGTERM');
      await w.exited;
    }
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });

  test('--threads 2: what the threads record is added up at /metrics (a service on thread 2, the -x process on thread 1)', async () => {
    const port = await freePort();
    const dir = writeProject({
      '_index.yaml': indexWithHosts('app', `
  - name: recorder
    kind: process.lua
    source: file://recorder.lua
    method: main
    modules: [metrics, time]
  - name: recorder_service
    kind: process.service
    process: app:recorder
    host: app:processes
    lifecycle: { auto_start: true }`),
      'recorder.lua': `local metrics = require("metrics")
local time = require("time")
local function main()
  metrics.counter_add("orders_total", 3, { status = "ok" })
  metrics.histogram("order_seconds", 0.2, { status = "ok" })
  if process.pid():find("app:terminal", 1, true) then metrics.counter_add("orders_total", 1, { status = "failed" }) end
  time.sleep("20s")
end
return { main = main }`,
    });
    exportOn(dir, port);
    const w = startWisp(['run', '--threads', '2', '-x', 'app:recorder'], dir);
    try {
      const text = await scraped(port, 'orders_total{status="ok"} 6');
      expect(text).toContain('orders_total{status="ok"} 6');
      expect(text).toContain('orders_total{status="failed"} 1');
      expect(text).toContain('order_seconds_count{status="ok"} 2');
      expect(text).toContain('order_seconds_bucket{le="0.25",status="ok"} 2');
    } finally {
      w.child.kill('SIGTERM');
      await w.exited;
    }
  }, 30_000);
});
