// Witnessed checkpoints in the browser: the fixture site (tests/fixtures/ledger/site) with a
// policy of three witnesses and a quorum of two, two of which co-sign its newest checkpoint
// with `ancapex ledger cosign`. On the run page every entry verifies and says the checkpoint
// is witnessed; with one byte of one cosignature changed in the served checkpoint, no entry
// verifies; with one cosignature removed, they verify and say it is not yet witnessed. Needs
// ANCAPEX_BIN (the debug binary run.sh built).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from './lib/server.mjs';
import { CHROMIUM, CHROME_FLAGS } from './lib/checks.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = process.env.ANCAPEX_BIN;

/** Each entry's verification, witnessing and state text on a run page. */
async function states(browser, url) {
  const page = await browser.newPage();
  await page.goto(url, { waitUntil: 'load' });
  // Entries in the unsigned tail are never checked: wait for the signed ones.
  await page.waitForFunction(
    () => [...document.querySelectorAll('[data-ledger-verify] li[data-seq]')]
      .filter((li) => li.querySelector('[data-ledger-state]').textContent !== 'unsigned tail')
      .every((li) => li.hasAttribute('data-verified')),
    null,
    { timeout: 20000 },
  ).catch(() => {});
  const s = await page.$$eval('[data-ledger-verify] li[data-seq]', (lis) => lis.map((li) => ({
    seq: Number(li.dataset.seq),
    verified: li.getAttribute('data-verified'),
    witnessed: li.getAttribute('data-witnessed'),
    state: li.querySelector('[data-ledger-state]').textContent,
    why: li.querySelector('[data-ledger-state]').getAttribute('title'),
  })));
  await page.close();
  return s;
}

test('a witnessed checkpoint verifies in the browser, and a tampered cosignature is refused', async () => {
  const work = fs.mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(), 'ancapex-witness-'));
  const site = path.join(work, 'site');
  fs.cpSync(path.join(repo, 'tests', 'fixtures', 'ledger', 'site'), site, { recursive: true });
  const ledger = path.join(site, 'artifacts', 'ledgers', 'demo-run');
  const toml = path.join(ledger, 'ledger.toml');
  const logKey = /keys = \["([^"]+)"\]/.exec(fs.readFileSync(toml, 'utf8'))[1];
  const keys = [1, 2, 3].map((n) => {
    const file = path.join(work, `w${n}.key`);
    const out = execFileSync(bin, ['ledger', 'keygen', '--witness', '--out', file, '--name', `witness.example/w${n}`]).toString();
    return { file, line: out.trim().split('\n').pop() };
  });
  fs.appendFileSync(toml, `\n[policy]\nwitnesses = [\n${keys.map((k, i) => `  { name = "witness-${i + 1}", key = "${k.line}" },`).join('\n')}\n]\nquorum = 2\n`);
  for (const k of keys.slice(0, 2)) {
    execFileSync(bin, ['ledger', 'cosign', ledger, '--key', k.file, '--state', path.join(work, `state-${k.file.slice(-6)}`), '--log-key', logKey]);
  }
  const out = path.join(work, 'public');
  execFileSync(bin, ['--root', site, 'build', '--output-dir', out], { stdio: 'pipe' });
  const checkpoint = path.join(out, 'ledgers', 'demo-run', 'checkpoint');
  const note = fs.readFileSync(checkpoint, 'utf8');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROME_FLAGS });
  try {
    const run = async () => {
      const server = await serve(out);
      try {
        return await states(browser, `${server.url}/ledgers/demo-run/`);
      } finally {
        await server.close();
      }
    };
    // Co-signed by two of three: every signed entry verifies, witnessed.
    let s = (await run()).filter((e) => e.seq < 9);
    assert.equal(s.length, 9);
    for (const e of s) {
      assert.equal(e.verified, 'true', JSON.stringify(e));
      assert.equal(e.witnessed, 'true', JSON.stringify(e));
      assert.equal(e.state, 'verified, witnessed');
      assert.match(e.why, /witnessed by witness-1, witness-2/);
    }
    // One byte of witness-2's signature changed in what is served: nothing verifies.
    const line = note.split('\n').find((l) => l.startsWith('\u2014 witness.example/w2 '));
    const sig = line.split(' ').pop();
    const bytes = Buffer.from(sig, 'base64');
    bytes[40] ^= 1;
    fs.writeFileSync(checkpoint, note.replace(sig, bytes.toString('base64')));
    s = (await run()).filter((e) => e.seq < 9);
    for (const e of s) {
      assert.equal(e.verified, 'false', JSON.stringify(e));
      assert.match(e.why, /the cosignature of witness witness-2 does not verify/);
    }
    // witness-2's line removed: one of a quorum of two, so verified but not yet witnessed.
    fs.writeFileSync(checkpoint, note.replace(`${line}\n`, ''));
    s = (await run()).filter((e) => e.seq < 9);
    for (const e of s) {
      assert.equal(e.verified, 'true', JSON.stringify(e));
      assert.equal(e.witnessed, 'false', JSON.stringify(e));
      assert.equal(e.state, 'verified, not yet witnessed');
      assert.match(e.why, /not yet witnessed \(1 of 2 cosignatures\)/);
    }
  } finally {
    await browser.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
});
