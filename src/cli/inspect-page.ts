/**
 * The inspector's page: the supervision tree and the process table, refreshed from /api/snapshot twice a
 * second. Every name, entry and PID comes from Lua code and is shown with textContent, never as HTML.
 */

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>wisp observer</title>
<link rel="stylesheet" href="/inspect.css">
<script src="/inspect.js" defer></script>
</head>
<body>
<header><h1>wisp</h1><span id="summary">connecting…</span><span id="status"></span></header>
<main>
<section class="wide charts"><figure><figcaption>processes <b id="now-processes"></b></figcaption><svg id="chart-processes" viewBox="0 0 300 60" preserveAspectRatio="none"></svg></figure>
<figure><figcaption>messages/s <b id="now-rate"></b></figcaption><svg id="chart-rate" viewBox="0 0 300 60" preserveAspectRatio="none"></svg></figure>
<figure><figcaption>heap MiB <b id="now-heap"></b></figcaption><svg id="chart-heap" viewBox="0 0 300 60" preserveAspectRatio="none"></svg></figure></section>
<aside id="details" hidden><button id="close-details" title="close">×</button><h2>Process <span id="d-pid" class="pid"></span></h2>
<dl>
<dt>entry</dt><dd id="d-entry"></dd><dt>names</dt><dd id="d-names"></dd><dt>state</dt><dd id="d-state"></dd>
<dt>service</dt><dd id="d-service"></dd><dt>parent</dt><dd id="d-parent"></dd>
<dt>links</dt><dd id="d-links"></dd><dt>monitored by</dt><dd id="d-monitored-by"></dd><dt>monitoring</dt><dd id="d-monitoring"></dd>
<dt>trap links</dt><dd id="d-trap"></dd><dt>last error</dt><dd id="d-error"></dd>
</dl>
<h3>Mailbox head <span id="d-buffered"></span></h3><table id="d-mailbox"><thead><tr><th>from</th><th>topic</th><th>payload</th></tr></thead><tbody></tbody></table>
<h3>Lua stack</h3><div id="d-stacks"></div>
</aside>
<section class="wide" id="threads-section" hidden><h2>Threads</h2><table id="threads"><thead><tr>
<th>thread</th><th>state</th><th>processes</th><th>messages</th><th>heap</th><th>busy</th></tr></thead><tbody></tbody></table></section>
<section><h2>Supervision tree</h2><ul id="tree" class="tree"></ul></section>
<section><h2>Services</h2><table id="services"><thead><tr>
<th>service</th><th>state</th><th>restarts</th><th>next retry</th><th>pid</th><th>last error</th></tr></thead><tbody></tbody></table>
<h2>Hosts</h2><table id="hosts"><thead><tr>
<th>host</th><th>kind</th><th>processes</th><th>queue</th><th>executed</th><th>thread</th></tr></thead><tbody></tbody></table></section>
<section class="wide"><h2>Processes <input id="filter" placeholder="filter"></h2><table id="processes"><thead><tr>
<th data-sort="pid">pid</th><th data-sort="entry">entry</th><th>names</th><th data-sort="state">state</th>
<th data-sort="mailbox">mailbox</th><th data-sort="run">run ms</th><th>steps</th>
<th data-sort="coroutines">coroutines</th><th>service</th><th>thread</th></tr></thead><tbody></tbody></table>
<p id="shown"></p></section>
<section class="wide"><h2>Failed processes (latest first)</h2><table id="failed"><thead><tr>
<th>pid</th><th>entry</th><th>service</th><th>last error</th></tr></thead><tbody></tbody></table></section>
</main>
</body>
</html>
`;

export const PAGE_CSS = `body { font: 14px system-ui, sans-serif; margin: 0; color: #222; }
header { background: #243; color: #fff; padding: 8px 16px; display: flex; gap: 24px; align-items: baseline; }
h1 { font-size: 18px; margin: 0; } h2 { font-size: 15px; margin: 16px 0 6px; }
main { display: grid; grid-template-columns: 1fr 1fr; gap: 0 32px; padding: 0 16px 16px; }
.wide { grid-column: 1 / 3; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 2px 8px; border-bottom: 1px solid #ddd; }
th[data-sort] { cursor: pointer; } th.sorted { text-decoration: underline; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.tree, .tree ul { list-style: none; padding-left: 18px; margin: 0; } .tree { padding-left: 0; }
.pid { font-family: monospace; color: #555; } .state { font-size: 12px; color: #363; }
#status.stale { color: #fb6; }
.charts { display: flex; gap: 16px; } .charts figure { flex: 1; margin: 8px 0 0; }
.charts figcaption { font-size: 12px; color: #555; } .charts svg { width: 100%; height: 60px; background: #f6f8f6; }
.charts polyline { fill: none; stroke: #385; stroke-width: 1.5; vector-effect: non-scaling-stroke; }
#details { position: fixed; top: 48px; right: 12px; width: 460px; max-height: calc(100vh - 64px); overflow: auto;
  background: #fff; border: 1px solid #bbb; box-shadow: 0 2px 12px #0003; padding: 8px 14px; }
#details dl { display: grid; grid-template-columns: auto 1fr; gap: 2px 12px; margin: 0; } #details dt { color: #666; }
#details dd { margin: 0; word-break: break-all; } #close-details { float: right; border: 0; background: none; font-size: 18px; cursor: pointer; }
#d-stacks pre { background: #f6f6f6; padding: 4px 6px; margin: 4px 0; white-space: pre-wrap; }
#tree li > .entry, #processes tbody tr { cursor: pointer; } .selected { background: #eef5ee; }
#processes:not(.threaded) tr > :last-child, #hosts:not(.threaded) tr > :last-child { display: none; }
`;

export const PAGE_SCRIPT = `'use strict';
(function () {
  var previous = null;
  var sortKey = 'pid';
  var timer = null;
  /** The tree needs every process; the table shows the query's first LIMIT (the runtime sorts and filters). */
  var LIMIT = 500;

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function two(n) { return (n < 10 ? '0' : '') + n; }
  function clock(ms) { var d = new Date(ms); return two(d.getHours()) + ':' + two(d.getMinutes()) + ':' + two(d.getSeconds()); }
  /** The same one line as wisp top's LAST ERROR column. */
  function errorText(e) { return e === null ? '-' : clock(e.at) + ' ' + (e.where === null ? '' : e.where + ': ') + e.message; }
  function uniq(pid) { var i = pid.lastIndexOf('|'); return parseInt(pid.slice(i + 3, -1), 16); }
  function mib(b) { return (b / 1048576).toFixed(1) + ' MiB'; }
  function fill(tbody, rows, numeric) {
    tbody.replaceChildren.apply(tbody, rows.map(function (cells) {
      var tr = el('tr');
      cells.forEach(function (c, i) { tr.appendChild(el('td', c, numeric.indexOf(i) >= 0 ? 'num' : '')); });
      return tr;
    }));
    return tbody.children;
  }

  var selected = null;
  function select(pid) {
    selected = pid;
    document.getElementById('details').hidden = pid === null;
    if (pid !== null) details();
  }
  function list(id, pids) { document.getElementById(id).textContent = pids.length === 0 ? '-' : pids.join(', '); }
  function details() {
    var pid = selected;
    if (pid === null) return;
    fetch('/api/process?pid=' + encodeURIComponent(pid), { cache: 'no-store' }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (d) {
      if (pid !== selected) return;
      document.getElementById('d-pid').textContent = pid;
      if (d === null) { document.getElementById('d-state').textContent = 'gone'; return; }
      var p = d.process || { entry: d.failed.entry, names: [], state: 'failed', service: d.failed.service, parent: d.failed.parent };
      document.getElementById('d-entry').textContent = p.entry;
      list('d-names', p.names);
      document.getElementById('d-state').textContent = p.state;
      document.getElementById('d-service').textContent = p.service || '-';
      document.getElementById('d-parent').textContent = p.parent || '-';
      list('d-links', d.links); list('d-monitored-by', d.monitored_by); list('d-monitoring', d.monitoring);
      document.getElementById('d-trap').textContent = d.trap_links ? 'yes' : 'no';
      document.getElementById('d-error').textContent = errorText(d.last_error);
      document.getElementById('d-buffered').textContent = d.inbox_buffered > 0 ? '(+' + d.inbox_buffered + ' in its inbox channel)' : '';
      fill(document.querySelector('#d-mailbox tbody'), d.mailbox_head.map(function (m) { return [m.from || '-', m.topic, m.preview]; }), []);
      var stacks = document.getElementById('d-stacks');
      stacks.replaceChildren.apply(stacks, d.stacks.map(function (t) {
        var pre = el('pre', t.thread + ' (' + t.state + ')\\n' + t.frames.map(function (f) {
          return '  ' + f.source + ':' + f.line + (f.name ? ' in ' + f.name : '');
        }).join('\\n'));
        pre.dataset.thread = t.thread;
        return pre;
      }));
    }, function () {});
  }

  /** A polyline of the last minutes, scaled to its own maximum. */
  function chart(id, values, label, shown) {
    var svg = document.getElementById(id);
    var max = Math.max.apply(null, values.concat([1]));
    var n = values.length;
    var points = values.map(function (v, i) {
      return (n <= 1 ? 300 : (i * 300) / (n - 1)).toFixed(1) + ',' + (58 - (v / max) * 56).toFixed(1);
    }).join(' ');
    var line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
    line.setAttribute('points', points);
    svg.replaceChildren(line);
    svg.dataset.points = String(n);
    svg.dataset.last = n === 0 ? '' : String(values[n - 1]);
    document.getElementById(label).textContent = n === 0 ? '' : shown(values[n - 1]);
  }
  function charts() {
    fetch('/api/history', { cache: 'no-store' }).then(function (r) { return r.json(); }).then(function (h) {
      chart('chart-processes', h.map(function (p) { return p.processes; }), 'now-processes', String);
      var rates = [];
      for (var i = 1; i < h.length; i++) rates.push(Math.max(0, (h[i].messages - h[i - 1].messages) * 1000 / Math.max(1, h[i].at - h[i - 1].at)));
      chart('chart-rate', rates, 'now-rate', function (v) { return v.toFixed(0); });
      chart('chart-heap', h.map(function (p) { return Math.round(p.heap_used / 1048576 * 10) / 10; }), 'now-heap', String);
    }, function () {});
  }

  function tree(s) {
    var byParent = new Map();
    var known = new Set(s.processes.map(function (p) { return p.pid; }));
    s.processes.forEach(function (p) {
      var key = p.parent !== null && known.has(p.parent) ? p.parent : '';
      if (!byParent.has(key)) byParent.set(key, []);
      byParent.get(key).push(p);
    });
    function item(p) {
      var li = el('li');
      li.dataset.pid = p.pid;
      li.dataset.entry = p.entry;
      if (p.pid === selected) li.classList.add('selected');
      var label = p.state === 'internal' && p.service !== null ? 'supervisor ' + p.service : p.entry;
      li.appendChild(el('span', label, 'entry'));
      li.appendChild(document.createTextNode(' '));
      li.appendChild(el('span', p.pid, 'pid'));
      if (p.names.length > 0) li.appendChild(el('span', ' (' + p.names.join(', ') + ')', 'names'));
      li.appendChild(el('span', ' ' + p.state, 'state'));
      var kids = (byParent.get(p.pid) || []).sort(function (a, b) { return uniq(a.pid) - uniq(b.pid); });
      if (kids.length > 0) {
        var ul = el('ul');
        kids.forEach(function (k) { ul.appendChild(item(k)); });
        li.appendChild(ul);
      }
      return li;
    }
    var roots = (byParent.get('') || []).sort(function (a, b) { return uniq(a.pid) - uniq(b.pid); });
    document.getElementById('tree').replaceChildren.apply(document.getElementById('tree'), roots.map(item));
  }

  function render(s, all) {
    var rate = previous === null || s.node.at <= previous.node.at ? null
      : (s.node.messages - previous.node.messages) * 1000 / (s.node.at - previous.node.at);
    var summary = document.getElementById('summary');
    summary.textContent = s.project + ' · processes ' + s.node.processes + ' · messages ' + s.node.messages +
      ' · messages/s ' + (rate === null ? '-' : rate.toFixed(0)) + ' · heap ' + mib(s.node.heap_used) + ' of ' + mib(s.node.heap_limit);
    summary.dataset.messages = String(s.node.messages);
    tree(all);
    fill(document.querySelector('#services tbody'), s.services.map(function (v) {
      var retry = v.next_retry_at === null ? '-' : 'in ' + Math.max(0, Math.round((v.next_retry_at - s.node.at) / 100) / 10) + 's';
      return [v.id, v.state, v.restarts, retry, v.pid || '-', errorText(v.last_error)];
    }), [2]);
    fill(document.querySelector('#failed tbody'), s.failed.map(function (f) {
      return [f.pid, f.entry, f.service || '', errorText(f.error)];
    }), []);
    var threaded = s.threads !== undefined;
    document.getElementById('threads-section').hidden = !threaded;
    document.getElementById('hosts').classList.toggle('threaded', threaded);
    document.getElementById('processes').classList.toggle('threaded', threaded);
    fill(document.querySelector('#threads tbody'), (s.threads || []).map(function (t) {
      return [t.thread, t.state, t.processes, t.messages, mib(t.heap_used), Math.round(t.busy * 100) + '%'];
    }), [2, 3, 4, 5]);
    fill(document.querySelector('#hosts tbody'), s.hosts.map(function (h) {
      return [h.id, h.kind, h.processes, h.queue_depth, h.executed, h.thread || ''];
    }), [2, 3, 4]);
    var procs = s.processes;
    var rows = fill(document.querySelector('#processes tbody'), procs.map(function (p) {
      return [p.pid, p.entry, p.names.join(', '), p.state, p.mailbox, p.run_ms.toFixed(1), p.steps, p.coroutines, p.service || '', p.thread || ''];
    }), [4, 5, 6, 7]);
    procs.forEach(function (p, i) {
      rows[i].dataset.pid = p.pid;
      rows[i].dataset.entry = p.entry;
      if (p.pid === selected) rows[i].classList.add('selected');
    });
    var failedRows = document.querySelectorAll('#failed tbody tr');
    s.failed.forEach(function (f, i) { failedRows[i].dataset.pid = f.pid; failedRows[i].dataset.entry = f.entry; });
    document.getElementById('shown').textContent = procs.length < s.matched ? 'first ' + procs.length + ' of ' + s.matched : '';
    document.querySelectorAll('th[data-sort]').forEach(function (th) { th.classList.toggle('sorted', th.dataset.sort === sortKey); });
    previous = s;
  }

  function get(query) {
    return fetch('/api/snapshot?' + query, { cache: 'no-store' }).then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    });
  }

  // A click or a keystroke polls at once; only the newest poll schedules the next one.
  var generation = 0;
  function poll() {
    clearTimeout(timer);
    var mine = ++generation;
    var filter = document.getElementById('filter').value;
    var table = 'sort=' + sortKey + '&limit=' + LIMIT + '&filter=' + encodeURIComponent(filter);
    Promise.all([get(table), get('limit=' + 5000)]).then(function (got) {
      if (mine !== generation) return;
      render(got[0], got[1]);
      details();
      if (mine % 2 === 1) charts();
      var status = document.getElementById('status');
      status.textContent = 'updated ' + new Date(got[0].node.at).toLocaleTimeString();
      status.className = '';
    }, function () {
      var status = document.getElementById('status');
      status.textContent = 'not connected (the wisp run stopped?)';
      status.className = 'stale';
    }).finally(function () { if (mine === generation) timer = setTimeout(poll, 500); });
  }

  document.querySelectorAll('th[data-sort]').forEach(function (th) {
    th.addEventListener('click', function () {
      sortKey = th.dataset.sort;
      poll();
    });
  });
  document.getElementById('filter').addEventListener('input', poll);
  // A click on a process (tree, table, failed list) opens its details; the button closes them.
  document.querySelector('main').addEventListener('click', function (e) {
    var target = e.target instanceof Element ? e.target.closest('[data-pid]') : null;
    if (target !== null && !target.closest('#details')) select(target.dataset.pid);
  });
  document.getElementById('close-details').addEventListener('click', function () { select(null); });
  charts();
  poll();
})();
`;
