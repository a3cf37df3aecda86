// The run page's figures in the browser: the real site, with its Model Run #1 ledger extended by
// tests/fixtures/figures/extend.py (two runs' checkpoints carrying metrics, a failure and its
// restart, a configuration change, evaluations with 95% intervals), built with ANCAPEX_BIN.
// On the run page, at 320 and 1366 px: every chart is there, named for assistive technology,
// inside the viewport, with its numbers; the page does not scroll sideways; no console or CSP
// error. The suite's page checks (axe, html-validate, console and CSP, no-JavaScript content)
// pass on the run page, an artifact page and the homepage, and Lighthouse scores the run page
// and the artifact page at least what the homepage must. Screenshots of the three pages at 390
// and 1366 px go to ANCAPEX_SCREENSHOTS (target/browser-screenshots).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHECKS, Context } from './lib/checks.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = process.env.ANCAPEX_BIN;
const shots = process.env.ANCAPEX_SCREENSHOTS;
const RUN = '/ledgers/model-run-1/';
const ARTIFACT = '/artifacts/eval-suite/';
const CHARTS = 5;

let ctx;

before(() => {
  if (!bin) throw new Error('ANCAPEX_BIN must name the ancapex binary');
  const work = fs.mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(), 'ancapex-figures-'));
  const site = path.join(work, 'site');
  fs.mkdirSync(site);
  for (const part of ['site.toml', 'content', 'artifacts', 'themes', 'static']) {
    fs.cpSync(path.join(repo, part), path.join(site, part), { recursive: true });
  }
  execFileSync('python3', [path.join(repo, 'tests', 'fixtures', 'figures', 'extend.py'), bin, site], { stdio: 'pipe' });
  const out = path.join(work, 'public');
  execFileSync(bin, ['--root', site, 'build', '--output-dir', out], { stdio: 'pipe' });
  ctx = new Context(out, { only: [RUN, ARTIFACT, '/'], lighthousePages: [RUN, ARTIFACT] });
  ctx.note = (line) => console.log(`# ${line}`);
  return ctx.start();
});

after(() => ctx?.stop());

for (const width of [320, 1366]) {
  test(`the run page's charts are there, named and inside the viewport at ${width} px`, async () => {
    const context = await ctx.browser.newContext({ viewport: { width, height: 900 } });
    const { page, seen } = await ctx.open(context, RUN);
    const found = await page.evaluate(() => {
      const name = (el) => (el.getAttribute('aria-labelledby') || '')
        .split(' ')
        .map((id) => document.getElementById(id)?.textContent.trim() || '')
        .join(' | ');
      return {
        scroll: document.documentElement.scrollWidth,
        inner: window.innerWidth,
        charts: [...document.querySelectorAll('.ledger-figures figure')].map((f) => {
          const svg = f.querySelector('svg');
          const box = svg?.getBoundingClientRect();
          return {
            role: svg?.getAttribute('role'),
            name: svg ? name(svg) : '',
            figure: name(f),
            left: box?.left,
            right: box?.right,
            width: box?.width,
            lines: svg ? svg.querySelectorAll('polyline').length : 0,
            rows: f.querySelectorAll('.chart-numbers tbody tr').length,
          };
        }),
        evals: document.querySelectorAll('.eval-table tbody tr').length,
        marks: [...document.querySelectorAll('.chart-marks a')].map((a) => `${a.textContent} ${a.getAttribute('href')}`),
      };
    });
    await page.close();
    await context.close();
    assert.ok(found.scroll <= found.inner, `the run page scrolls sideways at ${width} px: ${found.scroll} > ${found.inner}`);
    assert.equal(found.charts.length, CHARTS, JSON.stringify(found.charts));
    for (const c of found.charts) {
      assert.equal(c.role, 'img');
      // A title and a description, both said.
      const [title, desc] = c.name.split(' | ');
      assert.ok(title && desc && desc.length > title.length, `a chart is not named: ${c.name}`);
      assert.ok(c.figure, 'a figure has no caption');
      assert.ok(c.left >= 0 && c.right <= width, `a chart leaves the viewport: ${c.left}..${c.right} at ${width}`);
      assert.ok(c.width > width / 2, `a chart is drawn too small: ${c.width} px at ${width}`);
      assert.ok(c.lines >= 1 && c.rows >= 1, JSON.stringify(c));
    }
    assert.equal(found.evals, 8);
    assert.ok(found.marks.some((m) => m.startsWith('restart from step 3,000')), found.marks.join('\n'));
    assert.deepEqual(seen.console, []);
    assert.deepEqual(seen.errors, []);
    assert.deepEqual(seen.csp, []);
  });
}

for (const name of ['axe', 'htmlValidate', 'consoleAndCsp', 'noJavaScript', 'lighthouse']) {
  test(`${name} passes on the run page, an artifact page and the homepage`, { timeout: 300_000 }, async () => {
    const failures = await CHECKS[name](ctx);
    assert.deepEqual(failures, []);
  });
}

test('screenshots of the run page, an artifact page and the homepage', { skip: !shots }, async () => {
  fs.mkdirSync(shots, { recursive: true });
  for (const width of [390, 1366]) {
    const context = await ctx.browser.newContext({ viewport: { width, height: 900 } });
    for (const [name, url] of [['run-page', RUN], ['artifact', ARTIFACT], ['home', '/']]) {
      const { page } = await ctx.open(context, url);
      await page.screenshot({ path: path.join(shots, `${name}-${width}.png`), fullPage: true });
      await page.close();
    }
    await context.close();
  }
});
