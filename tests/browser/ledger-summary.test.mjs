// The summary the browser reads from a verified ledger line (themes/ancapex/static/js/
// ledger-verify.js) is the one the build writes for the text served without JavaScript
// (src/ledger/site.rs `summary`): both are checked against tests/fixtures/ledger/
// summaries.json, one or more cases per entry type, the Rust side by a unit test beside it;
// and a note renders as the build renders it (tests/fixtures/ledger/notes.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';

const repo = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const script = fs.readFileSync(path.join(repo, 'themes/ancapex/static/js/ledger-verify.js'), 'utf8');
// JSON.parse reads the corpus as the browser reads a stored line.
const cases = JSON.parse(fs.readFileSync(path.join(repo, 'tests/fixtures/ledger/summaries.json'), 'utf8'));

test('the script reads every entry type as the build writes it', () => {
  // No document: the script only defines the summary, as it does before a page has loaded.
  const sandbox = { TextEncoder };
  vm.runInNewContext(script, sandbox);
  const summary = sandbox.ancapexLedgerSummary;
  assert.equal(typeof summary, 'function');
  const types = new Set();
  for (const c of cases) {
    assert.equal(summary(c.type, c.body), c.summary, JSON.stringify(c));
    types.add(c.type);
  }
  assert.ok(types.size >= 13, `only ${types.size} entry types in the corpus`);
});

test('the script renders a note as the build does', () => {
  const sandbox = { TextEncoder };
  vm.runInNewContext(script, sandbox);
  const parts = sandbox.ancapexNoteParts;
  assert.equal(typeof parts, 'function');
  // The build's escaping (src/text/mod.rs `escape_html`).
  const esc = (t) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  const html = (s) => parts(s).map((p) => {
    if (!p.tag) return esc(p.text);
    if (p.tag === 'a') return `<a href="${esc(p.href)}">${esc(p.text)}</a>`;
    return `<${p.tag}>${esc(p.text)}</${p.tag}>`;
  }).join('');
  const notes = JSON.parse(fs.readFileSync(path.join(repo, 'tests/fixtures/ledger/notes.json'), 'utf8'));
  assert.ok(notes.length >= 20);
  for (const n of notes) assert.equal(html(n.text), n.html, JSON.stringify(n.text));
});
