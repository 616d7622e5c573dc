/**
 * The inspector's page: one HTML document with its style and script inline, so that it needs
 * nothing but this server (the hub also sends a Content-Security-Policy that forbids the rest). The
 * script reads `/events` (Server-Sent Events) and keeps three views current: the cluster (one row a
 * member, cells flash when they change), each machine actor's diagram with its current states
 * highlighted, and the event timeline (heartbeats folded, filterable by role).
 *
 * Hooks for tests and scripts: `tr[data-member=NAME] td[data-field=phase|role|…]`,
 * `figure[data-actor=ID]` with `data-active` (the ids of the states it is in), `#events li`.
 */
const STYLE = String.raw`
body{font:13px system-ui,sans-serif;margin:0;background:#fafbfc;color:#123}
header{display:flex;gap:1em;align-items:baseline;padding:.6em 1em;background:#123;color:#fff}
header h1{font-size:16px;margin:0}
#conn{font-size:12px;padding:1px 8px;border-radius:8px;background:#a33}
#conn.live{background:#2a7}
main{padding:0 1em 2em}
h2{font-size:14px;margin:1.2em 0 .4em}
table{border-collapse:collapse;background:#fff}
th,td{border:1px solid #dde;padding:3px 8px;text-align:left;font-family:monospace;font-size:12px;white-space:nowrap}
th{background:#eef1f6}
td.changed{animation:flash 3s ease-out}
@keyframes flash{from{background:#ffd54a}to{background:transparent}}
tr.down td{color:#a33}
tr.down td[data-field=phase]{font-weight:bold}
.proc{margin:.6em 0;padding:.4em .6em;border:1px solid #dde;background:#fff;border-radius:6px}
.proc.down{opacity:.5}
.proc h3{font-size:13px;margin:.2em 0 .4em}
figure{margin:.3em 0;overflow-x:auto}
figcaption{font-family:monospace;font-size:12px;color:#456}
.state>rect{fill:#fff;stroke:#889;stroke-width:1}
.state.holder>rect{fill:#f4f6fa}
.state.active>rect{fill:#fff3c4;stroke:#c07000;stroke-width:2}
.state.holder.active>rect{fill:#fffaf0}
.key{font:bold 12px monospace;fill:#123}
.tr{font:11px monospace;fill:#567}
.initial{fill:#123}
.region{stroke:#99a;stroke-dasharray:4 3}
#controls{display:flex;gap:1em;align-items:center;margin-bottom:.4em}
#events{list-style:none;margin:0;padding:0;max-height:34em;overflow-y:auto;border:1px solid #dde;background:#fff;font-family:monospace;font-size:12px}
#events li{padding:1px 6px;border-bottom:1px solid #f0f1f4;white-space:nowrap}
#events li.beats{color:#889;font-style:italic}
#events li.life{background:#fde8e8;font-weight:bold}
#events li.life.up{background:#e6f6ec}
#events .at{color:#889}
#events .who{color:#246;display:inline-block;min-width:12em}
#events .type{font-weight:bold}
#events .detail{color:#567}
`;

const SCRIPT = String.raw`
'use strict';
var ROLE_ORDER = { rm: 0, gfd: 1, lfd: 2, server: 3, client: 4 };
var MAX_ROWS = 2000;
var procs = new Map();
var filter = 'all';
var showBeats = false;
var $ = function (sel) { return document.querySelector(sel); };
function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
function time(ms) {
  var d = new Date(ms);
  return d.toTimeString().slice(0, 8) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}
function compact(value) {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'string') return value;
  return Object.keys(value).map(function (k) {
    var v = value[k];
    return typeof v === 'string' ? k + '.' + v : k + '.' + compact(v);
  }).join(' ');
}
function activeIds(tree, value) {
  var out = [tree.id];
  (function walk(node, v) {
    if (typeof v === 'string') {
      var c = node.children.find(function (x) { return x.key === v; });
      if (c) out.push(c.id);
      return;
    }
    if (!v || typeof v !== 'object') return;
    Object.keys(v).forEach(function (k) {
      var c = node.children.find(function (x) { return x.key === k; });
      if (!c) return;
      out.push(c.id);
      walk(c, v[k]);
    });
  })(tree, value);
  return out;
}

// ---- the cluster view -------------------------------------------------------------------------
var FIELDS = ['pid', 'role', 'phase', 'epoch', 'state', 'ckpt'];
function rowOf(name) {
  var tr = document.querySelector('tr[data-member="' + CSS.escape(name) + '"]');
  if (tr) return tr;
  tr = el('tr');
  tr.dataset.member = name;
  tr.appendChild(el('th', '', name));
  FIELDS.forEach(function (f) { var td = el('td'); td.dataset.field = f; tr.appendChild(td); });
  var body = $('#members tbody');
  var rows = Array.prototype.slice.call(body.children);
  var p = procs.get(name);
  var key = function (n) { var q = procs.get(n); return [q ? ROLE_ORDER[q.role] : 9, n]; };
  var mine = key(name);
  var before = rows.find(function (r) { var k = key(r.dataset.member); return k[0] > mine[0] || (k[0] === mine[0] && k[1] > mine[1]); });
  body.insertBefore(tr, before || null);
  return tr;
}
function setCell(tr, field, text) {
  var td = tr.querySelector('td[data-field="' + field + '"]');
  text = String(text);
  if (td.textContent === text) return;
  var first = td.textContent === '';
  td.textContent = text;
  if (first) return;
  td.classList.remove('changed');
  void td.offsetWidth;
  td.classList.add('changed');
}
function rmPrimary() {
  var found = null;
  procs.forEach(function (p) { if (p.role === 'rm' && p.summary && !p.summary.standby) found = p.summary.primary; });
  return found;
}
function renderMember(name) {
  var p = procs.get(name);
  if (!p) return;
  var tr = rowOf(name);
  tr.classList.toggle('down', !p.up);
  var s = p.summary;
  setCell(tr, 'pid', p.pid);
  if (p.role === 'server') {
    var role = '-';
    if (p.up && s) role = s.mode === 'active' ? (rmPrimary() === name ? 'sequencer' : 'active') : (s.role || '-');
    setCell(tr, 'role', role);
    setCell(tr, 'phase', p.up ? (s ? s.phase : 'booting') : 'down');
    setCell(tr, 'epoch', s ? s.epoch : '-');
    setCell(tr, 'state', s ? (s.state === '' ? '""' : s.state) : '-');
    setCell(tr, 'ckpt', s ? s.checkpoint : '-');
    return;
  }
  setCell(tr, 'role', p.role);
  setCell(tr, 'phase', p.up ? 'running' : 'down');
  setCell(tr, 'ckpt', '-');
  if (s && s.kind === 'rm' && s.standby) {
    setCell(tr, 'role', 'rm (standby)');
    setCell(tr, 'epoch', '-');
    setCell(tr, 'state', 'standby, leader ' + (s.leader || 'unknown'));
  } else if (s && s.kind === 'rm') {
    if (s.leader !== null) setCell(tr, 'role', 'rm (leader)');
    setCell(tr, 'epoch', s.epoch);
    var members = s.members.map(function (m) { return m.server + ':' + m.phase; }).join(' ') || 'no members';
    setCell(tr, 'state', s.mode + ', ' + (s.mode === 'active' ? 'sequencer ' : 'primary ') + (s.primary || '-') + '; ' + members);
  } else if (s && s.kind === 'gfd') {
    if (s.standby) setCell(tr, 'role', 'gfd (standby)');
    else if (s.leader !== null) setCell(tr, 'role', 'gfd (leader)');
    setCell(tr, 'epoch', '-');
    var seen = s.members.length ? 'members ' + s.members.join(', ') : 'no members';
    setCell(tr, 'state', s.standby ? 'standby, leader ' + (s.leader || 'unknown') + '; ' + seen : seen);
  } else {
    setCell(tr, 'epoch', '-');
    var root = p.actors.get(name);
    setCell(tr, 'state', root && root.value !== undefined ? compact(root.value) : '-');
  }
}
function renderAll() { procs.forEach(function (_p, name) { renderMember(name); }); }

// ---- the machines -----------------------------------------------------------------------------
function procBox(p) {
  var box = document.querySelector('.proc[data-process="' + CSS.escape(p.name) + '"]');
  if (!box) {
    box = el('div', 'proc');
    box.dataset.process = p.name;
    box.appendChild(el('h3'));
    var list = $('#procs');
    var boxes = Array.prototype.slice.call(list.children);
    var before = boxes.find(function (b) { var q = procs.get(b.dataset.process); return q && (ROLE_ORDER[q.role] > ROLE_ORDER[p.role] || (ROLE_ORDER[q.role] === ROLE_ORDER[p.role] && q.name > p.name)); });
    list.insertBefore(box, before || null);
  }
  box.querySelector('h3').textContent = p.name + ' (' + p.role + ', pid ' + p.pid + ')' + (p.up ? '' : ' down');
  box.classList.toggle('down', !p.up);
  return box;
}
function addActor(p, r) {
  // Named by its path from the root (GFD/lfd:LFD1/monitor): the GFD runs a monitor in each LFD's machine.
  var parent = r.parent ? p.actors.get(r.parent) : null;
  var shown = r.parent ? (parent ? parent.path : p.name) + '/' + r.name : r.name;
  var a = { id: r.actor, process: p.name, name: r.name, path: shown, machine: r.machine, value: undefined, fig: null };
  p.actors.set(r.actor, a);
  if (!r.machine) return;
  var m = p.machines.get(r.machine);
  if (!m) return;
  var fig = el('figure');
  fig.dataset.actor = r.actor;
  fig.dataset.machine = r.machine;
  fig.appendChild(el('figcaption', '', shown + '  (machine ' + r.machine + ')'));
  var holder = el('div');
  holder.innerHTML = m.svg;
  fig.appendChild(holder);
  var box = procBox(p);
  if (r.parent) {
    var det = el('details');
    det.appendChild(el('summary', '', shown));
    det.appendChild(fig);
    det.dataset.actor = r.actor;
    box.appendChild(det);
  } else {
    box.insertBefore(fig, box.children[1] || null);
  }
  a.fig = fig;
  dirtyActors.add(a);
}
function showSnapshot(p, r) {
  var a = p.actors.get(r.actor);
  if (!a) return;
  a.value = r.value;
  if (r.summary) {
    if (p.role === 'rm' && (!p.summary || p.summary.primary !== r.summary.primary || p.summary.standby !== r.summary.standby)) rmChanged = true;
    p.summary = r.summary;
  }
  dirtyActors.add(a);
}
/** Highlights an actor's current states, touching the drawing only when they changed. */
function drawActive(a) {
  if (!a.fig) return;
  var p = procs.get(a.process);
  var m = p && p.machines.get(a.machine);
  if (!m) return;
  var ids = activeIds(m.tree, a.value);
  var joined = ids.join(' ');
  if (a.fig.dataset.active === joined) return;
  a.fig.dataset.active = joined;
  a.fig.querySelectorAll('g.state').forEach(function (g) {
    g.classList.toggle('active', ids.indexOf(g.getAttribute('data-state')) >= 0);
  });
}
function dropActor(p, id) {
  var a = p.actors.get(id);
  if (!a) return;
  p.actors.delete(id);
  var holder = document.querySelector('.proc[data-process="' + CSS.escape(p.name) + '"] [data-actor="' + CSS.escape(id) + '"]');
  if (holder) (holder.closest('details') || holder).remove();
}

// ---- the timeline -----------------------------------------------------------------------------
function visible(li) {
  if (li.classList.contains('beats') && !showBeats) return false;
  return filter === 'all' || (li.dataset.roles || '').split(' ').indexOf(filter) >= 0;
}
var newRows = [];
var lastRow = null;
function append(li) {
  li.hidden = !visible(li);
  newRows.push(li);
  lastRow = li;
}
function flushRows() {
  if (newRows.length === 0) return;
  var list = $('#events');
  var atEnd = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
  var frag = document.createDocumentFragment();
  newRows.splice(0).forEach(function (li) { frag.appendChild(li); });
  list.appendChild(frag);
  var extra = list.children.length - MAX_ROWS;
  while (extra-- > 0) list.removeChild(list.firstChild);
  if (atEnd) list.scrollTop = list.scrollHeight;
}
function roleOf(process) { var p = procs.get(process); return p ? p.role : '?'; }
function addEvent(r) {
  var role = roleOf(r.process);
  var last = lastRow;
  if (r.beat) {
    if (!last || !last.classList.contains('beats')) {
      last = el('li', 'beats');
      last.dataset.count = '0';
      last.dataset.roles = '';
      last.appendChild(el('span', 'at', time(r.at) + ' '));
      last.appendChild(el('span', 'text'));
      append(last);
    }
    var n = Number(last.dataset.count) + 1;
    last.dataset.count = String(n);
    var roles = last.dataset.roles.split(' ').filter(Boolean);
    if (roles.indexOf(role) < 0) { roles.push(role); last.dataset.roles = roles.join(' '); }
    last.querySelector('.text').textContent = '\u2665 ' + n + ' heartbeat event' + (n === 1 ? '' : 's') + ' folded (' + roles.join(', ') + ')';
    last.hidden = !visible(last);
    return;
  }
  var li = el('li');
  li.dataset.roles = role;
  li.dataset.process = r.process;
  li.appendChild(el('span', 'at', time(r.at) + ' '));
  li.appendChild(el('span', 'who', (r.source && r.source !== r.target ? r.source + ' \u2192 ' : '') + r.target + ' '));
  li.appendChild(el('span', 'type', r.type + ' '));
  li.appendChild(el('span', 'detail', r.detail));
  append(li);
}
function addLife(name, text, up) {
  var li = el('li', 'life' + (up ? ' up' : ''));
  li.dataset.roles = roleOf(name);
  li.dataset.process = name;
  li.appendChild(el('span', 'at', time(Date.now()) + ' '));
  li.appendChild(el('span', 'type', text));
  append(li);
}

// ---- records ----------------------------------------------------------------------------------
var replaying = false;
var dirtyActors = new Set();
var dirtyMembers = new Set();
var rmChanged = false;
/** Once per message (the hub sends at most ten a second): the DOM work of all its records. */
function render() {
  // The RM's primary decides a server's "sequencer" cell: every row may change with it.
  if (rmChanged) renderAll(); else dirtyMembers.forEach(renderMember);
  rmChanged = false;
  dirtyMembers.clear();
  dirtyActors.forEach(drawActive);
  dirtyActors.clear();
  flushRows();
}
function apply(r) {
  var p = r.process !== undefined ? procs.get(r.process) : undefined;
  switch (r.t) {
    case 'reset':
      procs.clear();
      newRows = [];
      lastRow = null;
      dirtyActors.clear();
      dirtyMembers.clear();
      $('#members tbody').textContent = '';
      $('#procs').textContent = '';
      $('#events').textContent = '';
      return;
    case 'hello': {
      var old = document.querySelector('.proc[data-process="' + CSS.escape(r.process) + '"]');
      if (old) old.remove();
      procs.set(r.process, { name: r.process, role: r.role, pid: r.pid, up: true, machines: new Map(), actors: new Map(), summary: null });
      procBox(procs.get(r.process));
      if (!replaying) addLife(r.process, r.process + ' up (pid ' + r.pid + ')', true);
      return renderMember(r.process);
    }
    case 'down':
      if (!p) return;
      p.up = false;
      procBox(p);
      if (!replaying) addLife(r.process, r.process + ' down (pid ' + r.pid + ')', false);
      return renderMember(r.process);
    case 'machine':
      if (p) p.machines.set(r.machine, r);
      return;
    case 'actor':
      if (p) addActor(p, r);
      return;
    case 'actorGone':
      if (p) dropActor(p, r.actor);
      return;
    case 'snapshot':
      if (!p) return;
      showSnapshot(p, r);
      dirtyMembers.add(r.process);
      return;
    case 'event':
      return addEvent(r);
  }
}
function connect() {
  var source = new EventSource('/events');
  source.onopen = function () { $('#conn').textContent = 'live'; $('#conn').className = 'live'; };
  source.onerror = function () { $('#conn').textContent = 'reconnecting'; $('#conn').className = ''; };
  source.onmessage = function (m) {
    var records = JSON.parse(m.data);
    replaying = records.length > 0 && records[0].t === 'reset';
    records.forEach(apply);
    replaying = false;
    render();
  };
}
$('#role-filter').addEventListener('change', function (e) {
  filter = e.target.value;
  Array.prototype.forEach.call($('#events').children, function (li) { li.hidden = !visible(li); });
});
$('#show-beats').addEventListener('change', function (e) {
  showBeats = e.target.checked;
  Array.prototype.forEach.call($('#events').children, function (li) { li.hidden = !visible(li); });
});
connect();
`;

export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>steadfast inspector</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header><h1>steadfast inspector</h1><span id="conn">connecting</span></header>
<main>
<section id="cluster">
<h2>Cluster</h2>
<table id="members"><thead><tr><th>member</th><th>pid</th><th>role</th><th>phase</th><th>epoch</th><th>state</th><th>ckpt</th></tr></thead><tbody></tbody></table>
</section>
<section id="timeline">
<h2>Events</h2>
<div id="controls">
<label>role <select id="role-filter"><option value="all">all</option><option>rm</option><option>gfd</option><option>lfd</option><option>server</option><option>client</option></select></label>
<label><input type="checkbox" id="show-beats"> show folded heartbeats</label>
</div>
<ol id="events"></ol>
</section>
<section id="machines">
<h2>Machines</h2>
<div id="procs"></div>
</section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
