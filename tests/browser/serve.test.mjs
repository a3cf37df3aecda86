// `ancapex serve` seen in the browser: when a save breaks the build, the overlay over the last
// good page shows each problem once (where it is, the line with a caret under the mistake,
// the help), and the next good save takes it away. Runs the debug binary (ANCAPEX_BIN) on a
// copy of a fixture site, on a free port of 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROME_FLAGS } from './lib/checks.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const bin = process.env.ANCAPEX_BIN;
if (!bin || !fs.existsSync(bin)) throw new Error(`ANCAPEX_BIN must name the ancapex binary (got ${bin})`);

let root;
let server;
let url;
let browser;

/** The first line of `stream` that `wanted` accepts, within 30 s. */
function line(stream, wanted) {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`no such line; so far:\n${buffer}`)), 30_000);
    const onData = (d) => {
      buffer += d;
      const found = buffer.split('\n').find(wanted);
      if (found !== undefined) {
        clearTimeout(timer);
        stream.off('data', onData);
        resolve(found);
      }
    };
    stream.on('data', onData);
  });
}

before(async () => {
  root = fs.mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(), 'ancapex-serve-'));
  fs.cpSync(path.join(here, '..', 'fixtures', 'build', 'basic'), root, { recursive: true });
  server = spawn(bin, ['--root', root, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  server.stdout.setEncoding('utf8');
  const listening = await line(server.stdout, (l) => l.startsWith('serving at '));
  url = /serving at (\S+)/.exec(listening)[1].replace(/\/$/, '');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROME_FLAGS.slice(1), headless: true });
});

after(async () => {
  await browser?.close();
  server?.kill();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

test('a broken save shows each problem once over the last good page, and a good save removes it', async () => {
  const page = await browser.newPage();
  await page.goto(`${url}/blog/first/`, { waitUntil: 'load' });
  const file = path.join(root, 'content', 'blog', 'first.md');
  const good = fs.readFileSync(file, 'utf8');
  // Two mistakes: an unclosed front matter in one page, a broken link in another.
  fs.writeFileSync(file, '+++\ntitle = "First post"\n');
  const other = path.join(root, 'content', 'about.md');
  const about = fs.readFileSync(other, 'utf8');
  fs.writeFileSync(other, `${about}\n\n[gone](/no-such-page/)\n`);
  const overlay = page.locator('#ancapex-problems');
  await overlay.waitFor({ timeout: 30_000 });
  // Both saves reached the overlay (the second adds the broken link).
  await page.waitForFunction(() => document.getElementById('ancapex-problems')?.innerText.includes('/no-such-page/'), null, { timeout: 30_000 });
  const text = await overlay.innerText();
  const times = (needle) => text.split(needle).length - 1;
  // Three problems (the unclosed front matter also breaks a link to that page), each once.
  assert.equal(await page.locator('#ancapex-problems .ancapex-problem').count(), 3, text);
  assert.equal(times('front matter opened with `+++` is never closed'), 1, text);
  assert.equal(times('broken link: nothing is published at `/no-such-page/`'), 1, text);
  assert.equal(times('points to `content/blog/first.md`, which does not exist'), 1, text);
  // Each where it is, with its line and a caret under the mistake, and its help.
  assert.equal(times('content/blog/first.md:1:1'), 1, text);
  assert.match(text, /1 \| \+\+\+\n\s*\| \^\^\^/);
  assert.equal(times('help: close it with the same fence on a line of its own'), 1, text);
  // The last good page is still under it.
  assert.match(await page.content(), /The rest of the first post\./);

  fs.writeFileSync(file, good);
  fs.writeFileSync(other, about);
  await overlay.waitFor({ state: 'detached', timeout: 30_000 });
  await page.close();
});
