// The summary the browser reads from a verified ledger line (themes/ancapex/static/js/
// ledger-verify.js) is the one the build writes for the text served without JavaScript
// (src/ledger/site.rs `summary`): both are checked against tests/fixtures/ledger/
// summaries.json, one or more cases per entry type, the Rust side by a unit test beside it.
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
