"""The style sheet and scripts inlined into every HTML page (pages load nothing from outside)."""

from __future__ import annotations

# Only inline style and script, no network, no frames: the page is one self-contained file.
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)

CSS = """
:root{--failed:#c62828;--warning:#b26a00;--error:#6a1b9a;--fixed:#1565c0;--known:#7a6a3a;
--skipped:#757575;--passed:#2e7d32;--line:#ddd;--soft:#f6f6f6;font-family:system-ui,sans-serif}
body{margin:0 auto;max-width:1200px;padding:1rem 1.5rem;color:#222;line-height:1.4}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid
var(--line)}h3{font-size:1rem;margin:1rem 0 .3rem}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem}
pre{background:var(--soft);padding:.5rem;overflow-x:auto;white-space:pre-wrap;
word-break:break-all;margin:.3rem 0}
.meta{color:#555;font-size:.9rem}.verdict{font-weight:bold;font-size:1.1rem}
.verdict.ok{color:var(--passed)}.verdict.bad{color:var(--failed)}
.counts{display:flex;flex-wrap:wrap;gap:.5rem;margin:1rem 0}
.count{border:1px solid var(--line);border-radius:6px;padding:.4rem .8rem;background:#fff;
cursor:pointer;font:inherit;text-align:left}.count b{display:block;font-size:1.4rem}
.count.zero{opacity:.45}
.failed{--c:var(--failed)}.warning{--c:var(--warning)}.error{--c:var(--error)}
.fixed{--c:var(--fixed)}.known-failure{--c:var(--known)}.skipped{--c:var(--skipped)}
.passed{--c:var(--passed)}.count b,.cell a,.cell span{color:var(--c)}
.badge{display:inline-block;min-width:6.5em;text-align:center;border-radius:3px;color:#fff;
background:var(--c);font-size:.75rem;padding:0 .3rem;margin-right:.4rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid var(--line);padding:.2rem .4rem;text-align:left;vertical-align:top}
th{background:var(--soft);position:sticky;top:0}td.n{text-align:right;font-variant-numeric:
tabular-nums}tr.pick{cursor:pointer}tr.pick:hover{background:#eef4ff}
.bar{display:flex;height:.7rem;min-width:8rem;border-radius:2px;overflow:hidden;background:#eee}
.bar span{background:var(--c)}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0}
dt{font-weight:bold}dd{margin:0}
.caps code{display:inline-block;margin:0 .3rem .2rem 0;padding:0 .25rem;background:var(--soft)}
form.filters{display:flex;flex-wrap:wrap;gap:.6rem 1rem;align-items:center;padding:.5rem;
background:var(--soft);border-radius:6px;position:sticky;top:0;z-index:1}
form.filters label{white-space:nowrap}
details.test{border-bottom:1px solid var(--line);padding:.15rem 0}
details.test>summary{cursor:pointer;list-style-position:outside}
details.test>summary .msg{color:#555;font-size:.85rem;margin-left:.5rem}
details.test .body{padding:.3rem 0 .6rem 1.5rem}
details.test:target,details.test.hit{outline:2px solid #90caf9}
.level{font-size:.75rem;color:#555;margin-right:.4rem}.dur{color:#888;font-size:.8rem}
.transcript .C{color:#0d47a1}.transcript .S{color:#1b5e20}.transcript .N{color:#888}
.known-reason{color:var(--known)}
td.cell{text-align:center;white-space:nowrap}td.cell a{text-decoration:none;font-weight:bold}
tr.section td{background:#fafafa;font-weight:bold}
.notes blockquote{border-left:3px solid var(--line);margin:.3rem 0;padding-left:.8rem;color:#444}
"""

REPORT_JS = """
(function () {
  'use strict';
  var form = document.getElementById('filters');
  var tests = Array.prototype.slice.call(document.querySelectorAll('details.test'));
  var groups = Array.prototype.slice.call(document.querySelectorAll('section.group'));
  var shown = document.getElementById('shown');
  function apply() {
    var wanted = {};
    form.querySelectorAll('input[name=outcome]').forEach(function (box) {
      wanted[box.value] = box.checked;
    });
    var level = form.elements.level.value, section = form.elements.section.value;
    var text = form.elements.q.value.trim().toLowerCase(), count = 0;
    tests.forEach(function (test) {
      var d = test.dataset;
      var ok = wanted[d.outcome] && (!level || d.level === level) &&
        (!section || d.section === section) && (!text || d.text.indexOf(text) >= 0);
      test.hidden = !ok;
      if (ok) { count += 1; }
    });
    groups.forEach(function (group) {
      group.hidden = !group.querySelector('details.test:not([hidden])');
    });
    shown.textContent = count + ' of ' + tests.length + ' tests shown';
  }
  function only(outcome) {
    form.querySelectorAll('input[name=outcome]').forEach(function (box) {
      box.checked = box.value === outcome;
    });
    apply();
  }
  function reveal() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var test = id ? document.getElementById(id) : null;
    if (!test || test.tagName !== 'DETAILS') { return; }
    test.hidden = false;
    if (test.parentElement) { test.parentElement.hidden = false; }
    test.open = true;
    test.classList.add('hit');
    test.scrollIntoView();
  }
  form.addEventListener('input', apply);
  form.addEventListener('change', apply);
  form.addEventListener('submit', function (event) { event.preventDefault(); });
  document.querySelectorAll('[data-only]').forEach(function (button) {
    button.addEventListener('click', function () { only(button.dataset.only); });
  });
  document.querySelectorAll('tr[data-pick]').forEach(function (row) {
    row.addEventListener('click', function () {
      form.elements.section.value = row.dataset.pick;
      form.elements.level.value = row.dataset.level || '';
      apply();
      document.getElementById('tests').scrollIntoView();
    });
  });
  document.getElementById('expand').addEventListener('click', function () {
    tests.forEach(function (test) { if (!test.hidden) { test.open = true; } });
  });
  document.getElementById('collapse').addEventListener('click', function () {
    tests.forEach(function (test) { test.open = false; });
  });
  window.addEventListener('hashchange', reveal);
  apply();
  reveal();
}());
"""

MATRIX_JS = """
(function () {
  'use strict';
  var form = document.getElementById('filters');
  var rows = Array.prototype.slice.call(document.querySelectorAll('tr.test'));
  var shown = document.getElementById('shown');
  function apply() {
    var differ = form.elements.differ.checked, failing = form.elements.failing.checked;
    var text = form.elements.q.value.trim().toLowerCase(), count = 0;
    rows.forEach(function (row) {
      var d = row.dataset;
      var ok = (!differ || d.differ === '1') && (!failing || d.failing === '1') &&
        (!text || d.text.indexOf(text) >= 0);
      row.hidden = !ok;
      if (ok) { count += 1; }
    });
    document.querySelectorAll('tr.section').forEach(function (head) {
      var next = head.nextElementSibling, any = false;
      while (next && next.classList.contains('test')) {
        if (!next.hidden) { any = true; }
        next = next.nextElementSibling;
      }
      head.hidden = !any;
    });
    shown.textContent = count + ' of ' + rows.length + ' tests shown';
  }
  form.addEventListener('input', apply);
  form.addEventListener('change', apply);
  form.addEventListener('submit', function (event) { event.preventDefault(); });
  apply();
}());
"""
