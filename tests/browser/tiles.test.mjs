// Ledger verification from tlog-tiles on a tree deeper than the real site's: the fixture site
// (tests/fixtures/ledger/site) with a generated run of 600 entries signed at 7, 300 and 600
// entries (bench/gen_ledger.py), so its proofs need full and partial level-0 tiles and a
// partial level-1 tile. Every entry on the first, a middle and the last run page verifies in
// Chromium; with one byte of one level-0 tile changed, the entries whose proofs read that
// tile do not. Needs ANCAPEX_BIN (the debug binary run.sh built).
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

/** Each entry's verification state on a run page: `true`, `false` or null (not checked). */
async function states(browser, url) {
  const page = await browser.newPage();
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(
    () => [...document.querySelectorAll('[data-ledger-verify] li[data-seq]')].every((li) => li.hasAttribute('data-verified')),
    null,
    { timeout: 20000 },
  ).catch(() => {});
  const s = await page.$$eval('[data-ledger-verify] li[data-seq]', (lis) => lis.map((li) => [Number(li.dataset.seq), li.getAttribute('data-verified')]));
  await page.close();
  return s;
}

test('entries of a 600-entry run verify from its tiles, and not from a changed tile', async () => {
  const work = fs.mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(), 'ancapex-tiles-'));
  const site = path.join(work, 'site');
  fs.cpSync(path.join(repo, 'tests', 'fixtures', 'ledger', 'site'), site, { recursive: true });
  execFileSync('python3', [path.join(repo, 'bench', 'gen_ledger.py'), '--site', site, '--entries', '600',
    '--name', 'long-run', '--checkpoints', '7,300,600'], { stdio: 'pipe' });
  execFileSync(process.env.ANCAPEX_BIN, ['--root', site, 'build', '--output-dir', path.join(work, 'public')], { stdio: 'pipe' });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROME_FLAGS });
  try {
    let server = await serve(path.join(work, 'public'));
    for (const page of ['', 'page/6/', 'page/12/']) {
      const s = await states(browser, `${server.url}/ledgers/long-run/${page}`);
      assert.equal(s.length, 50, page);
      assert.deepEqual(s.filter(([, v]) => v !== 'true'), [], `${page}: every entry verifies`);
    }
    await server.close();
    // One bit of the leaf hash of entry 300 (the first of tile 001) changed: it and its
    // neighbours, whose proofs read that hash, no longer verify; entries of tile 000 still do.
    const tile = path.join(work, 'public', 'ledgers', 'long-run', 'tile', '0', '001');
    const bytes = fs.readFileSync(tile);
    bytes[(300 - 256) * 32] ^= 1;
    fs.writeFileSync(tile, bytes);
    server = await serve(path.join(work, 'public'));
    const s = new Map([
      ...(await states(browser, `${server.url}/ledgers/long-run/page/6/`)),
      ...(await states(browser, `${server.url}/ledgers/long-run/page/7/`)),
    ]);
    await server.close();
    assert.equal(s.get(300), 'true', 'its own leaf is hashed from the page, not read from the tile');
    assert.equal(s.get(301), 'false', 'the sibling of the changed leaf does not verify');
    assert.equal(s.get(250), 'true', 'an entry of the untouched tile still verifies');
  } finally {
    await browser.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
});
