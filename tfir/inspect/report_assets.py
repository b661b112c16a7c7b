"""The style sheet and the script of the `tfir explain` page, inlined into it
(the page loads nothing from anywhere)."""

CSS = """
:root { --bg:#f8fafc; --panel:#fff; --ink:#0f172a; --muted:#64748b; --line:#e2e8f0; --accent:#2563eb;
  --hl:#fde68a; --hl-edge:#d97706; --add:#dcfce7; --add-ink:#166534; --del:#fee2e2; --del-ink:#991b1b;
  --mono: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace; }
* { box-sizing: border-box; }
html { scroll-padding-top: 56px; }
body { margin:0; background:var(--bg); color:var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
header { position:sticky; top:0; z-index:5; background:#0f172a; color:#e2e8f0; padding:8px 18px;
  display:flex; align-items:center; gap:18px; flex-wrap:wrap; }
header h1 { font-size:15px; margin:0; font-weight:600; color:#fff; }
header h1 small { color:#94a3b8; font-weight:400; margin-left:6px; }
header nav a { color:#cbd5e1; text-decoration:none; margin-right:14px; font-size:13px; }
header nav a:hover { color:#fff; }
.chips { display:flex; gap:8px; margin-left:auto; flex-wrap:wrap; }
.chip { background:#1e293b; border-radius:999px; padding:2px 10px; font-size:12px; color:#cbd5e1; }
.chip b { color:#fff; }
main { display:grid; grid-template-columns:minmax(340px, 33%) minmax(0, 1fr); gap:16px; padding:16px 18px; }
@media (max-width: 980px) { main { grid-template-columns:1fr; } #source { position:static; max-height:none; } }
section { background:var(--panel); border:1px solid var(--line); border-radius:10px; margin-bottom:16px;
  overflow:hidden; }
section > h2 { font-size:13px; text-transform:uppercase; letter-spacing:.06em; color:var(--muted);
  margin:0; padding:10px 14px; border-bottom:1px solid var(--line); background:#f1f5f9;
  display:flex; align-items:center; gap:10px; }
section > h2 .hint { text-transform:none; letter-spacing:0; font-weight:400; margin-left:auto; }
.banner { margin:0 0 16px; padding:10px 14px; border-radius:10px; border:1px solid; font-size:13px; }
.banner.warn { background:#fffbeb; border-color:#fcd34d; color:#92400e; }
.banner.err { background:#fef2f2; border-color:#fca5a5; color:#991b1b; }
.banner code { font-family:var(--mono); font-size:12px; }
#source { position:sticky; top:60px; align-self:start; max-height:calc(100vh - 76px); display:flex;
  flex-direction:column; }
#source .code { overflow:auto; }
.code { font-family:var(--mono); font-size:12.5px; line-height:1.5; }
.code .row { display:flex; white-space:pre; cursor:pointer; padding-right:12px; }
.code .tx { flex:1; min-width:0; }
#source .tx { white-space:pre-wrap; overflow-wrap:anywhere; padding-left:2ch; text-indent:-2ch; }
section > h2 .file { text-transform:none; letter-spacing:0; color:var(--ink); font-family:var(--mono); font-size:13px; }
.code .row:hover { background:#f1f5f9; }
.ln { flex:none; width:3.6em; text-align:right; padding-right:10px; color:#94a3b8; user-select:none; }
.row.none { cursor:default; }
.row.none:hover { background:none; }
.hl, .code .row.hl:hover { background:var(--hl) !important; }
.src.hl .ln { color:var(--ink); font-weight:600; }
.k { color:#7c3aed; font-weight:600; } .t { color:#0369a1; } .n { color:#b45309; } .c { color:#64748b; font-style:italic; }
b, .op { color:#1d4ed8; font-weight:600; } var, .v { color:#7e22ce; font-style:normal; } .s { color:#15803d; }
i, .ty { color:#0e7490; font-style:normal; }
.sym { color:#be123c; }
#graph .box { overflow:auto; max-height:72vh; padding:8px; background:#fff; }
#graph .box.fit svg { width:100%; height:auto; }
#graph .box[hidden] { display:none; }
button.tab.on { background:var(--accent); border-color:var(--accent); color:#fff; }
#graph svg .hl > path, #graph svg .hl > polygon, #graph svg .hl > ellipse { fill:var(--hl);
  stroke:var(--hl-edge); stroke-width:2.5px; }
#graph svg g.node[data-l] { cursor:pointer; }
button { font:inherit; font-size:12px; border:1px solid var(--line); background:#fff; border-radius:6px;
  padding:2px 10px; cursor:pointer; }
button:hover { border-color:var(--accent); color:var(--accent); }
table.passes { border-collapse:collapse; width:100%; font-size:13px; }
table.passes th, table.passes td { padding:5px 12px; border-bottom:1px solid var(--line); text-align:left; }
table.passes th { color:var(--muted); font-weight:500; font-size:12px; }
table.passes th.num { text-align:right; }
table.passes td.num { text-align:right; font-variant-numeric:tabular-nums; font-family:var(--mono); font-size:12px; }
table.passes tr.same td { color:#94a3b8; }
table.passes tr.skip td { color:#b45309; font-style:italic; }
table.passes tr.stage td { background:#f8fafc; font-weight:600; font-size:12px; color:var(--muted);
  text-transform:uppercase; letter-spacing:.05em; }
table.passes a { color:inherit; text-decoration:none; }
table.fusion td { vertical-align:top; cursor:pointer; }
table.fusion td.hl { background:#fef3c7; }
dl.reasons { font-size:12px; color:var(--muted); margin:8px 12px; }
dl.reasons dt { font-weight:600; } dl.reasons dd { margin:0 0 4px 16px; }
table.passes a:hover { color:var(--accent); text-decoration:underline; }
.bar { display:inline-block; height:8px; background:#93c5fd; border-radius:4px; vertical-align:middle; }
.delta.up { color:#b45309; } .delta.down { color:#15803d; }
details.stage { border-top:1px solid var(--line); content-visibility:auto; contain-intrinsic-size:auto 480px; }
details.stage > summary { list-style:none; cursor:pointer; padding:8px 14px; display:flex; gap:12px;
  align-items:baseline; }
details.stage > summary::-webkit-details-marker { display:none; }
details.stage > summary::before { content:"\\25B8"; color:var(--muted); width:10px; }
details.stage[open] > summary::before { content:"\\25BE"; }
details.stage > summary:hover { background:#f8fafc; }
summary .idx { font-family:var(--mono); color:var(--muted); font-size:12px; }
summary .name { font-family:var(--mono); font-weight:600; }
summary .lvl { font-size:11px; border-radius:4px; padding:0 6px; background:#e0e7ff; color:#3730a3; }
summary .meta { color:var(--muted); font-size:12px; margin-left:auto; font-family:var(--mono); }
summary .hits { font-size:11px; background:var(--hl); border-radius:4px; padding:0 6px; display:none; }
summary .hits.on { display:inline; }
details.same > summary { color:#94a3b8; }
details.same > summary .name { font-weight:400; }
.diff { overflow:auto; max-height:75vh; border-top:1px solid var(--line); }
table.d { border-collapse:collapse; width:100%; font-family:var(--mono); font-size:12px; line-height:1.45;
  table-layout:fixed; }
table.d col.n { width:3.4em; } table.d col.x { width:calc(50% - 3.4em); }
table.d td { white-space:pre-wrap; overflow-wrap:anywhere; padding:0 8px 0 calc(8px + 4ch); text-indent:-4ch;
  vertical-align:top; }
table.d td:not([class]) { color:#94a3b8; text-align:right; user-select:none; border-right:1px solid var(--line); padding:0 6px;
  text-indent:0; }
table.d td[data-l] { cursor:pointer; }
table.d td.del { background:var(--del); } table.d td.add { background:var(--add); }
table.d td.emp { background:#f8fafc; }
table.d td.ren { background:#f5f8ff; }
table.d td.hl { background:var(--hl); }
table.d td.del.hl { box-shadow:inset 3px 0 var(--del-ink); } table.d td.add.hl { box-shadow:inset 3px 0 var(--add-ink); }
table.d th { position:sticky; top:0; background:#f1f5f9; color:var(--muted); font-weight:500; text-align:left;
  padding:3px 8px; font-family:system-ui, sans-serif; font-size:12px; border-bottom:1px solid var(--line); }
tr.fold td { background:#eff6ff; color:var(--accent); cursor:pointer; text-align:center; font-family:system-ui, sans-serif;
  font-size:12px; padding:2px; }
tbody[hidden] { display:none; }
div.fold { background:#eff6ff; color:var(--accent); cursor:pointer; text-align:center; font-family:system-ui, sans-serif;
  font-size:12px; padding:2px; white-space:normal; }
.same-note { padding:8px 14px; color:var(--muted); font-size:13px; }
#code .code { overflow:auto; max-height:80vh; }
#code .row.cm { color:#64748b; }
#code .row.cm .c { color:#0369a1; font-style:normal; font-weight:600; }
pre.plain { margin:0; padding:10px 14px; font-family:var(--mono); font-size:12px; overflow:auto; max-height:50vh; }
details.dot > summary { cursor:pointer; padding:0 14px 10px; color:var(--muted); font-size:13px; }
.empty { padding:14px; color:var(--muted); }
footer { color:var(--muted); font-size:12px; padding:0 18px 18px; }
"""

# Click a line (source, IR, code) or a graph node: every element of that
# source line lights up, and each stage says how many of its lines it has.
JS = """
(function(){
var cur = null;
function host(f) { return f.tagName === 'TR' ? f.parentNode : f; }
function label(f) { return f.tagName === 'TR' ? f.firstElementChild : f; }
function show(b, open) {  // b: the hidden block after a fold toggle
  b.hidden = !open;
  var f = b.previousElementSibling;
  if (f.tagName === 'TBODY') f = f.firstElementChild;
  label(f).textContent = open ? f.dataset.less : f.dataset.more;
}
function pick(l) {
  document.querySelectorAll('.hl').forEach(function(e){ e.classList.remove('hl'); });
  document.querySelectorAll('.hits').forEach(function(e){ e.classList.remove('on'); });
  if (l === cur || l === null) { cur = null; return; }
  cur = l;
  document.querySelectorAll('[data-l="' + l + '"]').forEach(function(e){
    e.classList.add('hl');
    var b = e.closest('.fb[hidden]');
    if (b) show(b, true);
  });
  document.querySelectorAll('details.stage').forEach(function(d){
    var n = d.querySelectorAll('td.r.hl').length;
    var h = d.querySelector('.hits');
    if (h && n) { h.textContent = n + (n === 1 ? ' line' : ' lines') + ' of line ' + l; h.classList.add('on'); }
  });
  var s = document.getElementById('L' + l);
  if (s && s.scrollIntoViewIfNeeded) s.scrollIntoViewIfNeeded();
}
document.addEventListener('click', function(ev){
  var f = ev.target.closest('.fold');
  if (f) { var b = host(f).nextElementSibling; show(b, b.hidden); return; }
  if (ev.target.closest('summary, button')) return;
  var t = ev.target.closest('[data-l]');
  if (t) pick(t.getAttribute('data-l'));
});
var fit = document.getElementById('fit');
if (fit) fit.addEventListener('click', function(){
  document.querySelectorAll('#graph .box').forEach(function(b){ b.classList.toggle('fit'); }); });
document.querySelectorAll('button.tab').forEach(function(t){ t.addEventListener('click', function(){
  document.querySelectorAll('button.tab').forEach(function(u){ u.classList.toggle('on', u === t);
    document.getElementById(u.dataset.view).hidden = u !== t; }); }); });
var m = /^#L(\\d+)$/.exec(location.hash);
if (m) pick(m[1]);
})();
"""
