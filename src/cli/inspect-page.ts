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
<section><h2>Supervision tree</h2><ul id="tree" class="tree"></ul></section>
<section><h2>Services</h2><table id="services"><thead><tr>
<th>service</th><th>state</th><th>restarts</th><th>next retry</th><th>pid</th><th>last error</th></tr></thead><tbody></tbody></table>
<h2>Hosts</h2><table id="hosts"><thead><tr>
<th>host</th><th>kind</th><th>processes</th><th>queue</th><th>executed</th></tr></thead><tbody></tbody></table></section>
<section class="wide"><h2>Processes <input id="filter" placeholder="filter"></h2><table id="processes"><thead><tr>
<th data-sort="pid">pid</th><th data-sort="entry">entry</th><th>names</th><th data-sort="state">state</th>
<th data-sort="mailbox">mailbox</th><th data-sort="run">run ms</th><th>steps</th>
<th data-sort="coroutines">coroutines</th><th>service</th></tr></thead><tbody></tbody></table>
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
    fill(document.querySelector('#hosts tbody'), s.hosts.map(function (h) {
      return [h.id, h.kind, h.processes, h.queue_depth, h.executed];
    }), [2, 3, 4]);
    var procs = s.processes;
    var rows = fill(document.querySelector('#processes tbody'), procs.map(function (p) {
      return [p.pid, p.entry, p.names.join(', '), p.state, p.mailbox, p.run_ms.toFixed(1), p.steps, p.coroutines, p.service || ''];
    }), [4, 5, 6, 7]);
    procs.forEach(function (p, i) { rows[i].dataset.pid = p.pid; rows[i].dataset.entry = p.entry; });
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
  poll();
})();
`;
