// The run page's figures in the browser: the real site, with its Model Run #1 ledger extended by
// tests/fixtures/figures/extend.py (two runs' checkpoints carrying metrics, a failure and its
// restart, a configuration change, evaluations with 95% intervals), built with ANCAPEX_BIN.
// On the run page, at 320 and 1366 px: every chart is there, named for assistive technology,
// inside the viewport, with its numbers; the page does not scroll sideways; no console or CSP
// error. The suite's page checks (axe, html-validate, console and CSP, no-JavaScript content)
// pass on the run page, an artifact page, a model page and the homepage, and Lighthouse scores
// the run page and the artifact page at least what the homepage must. A model's page shows its
// metadata as the Hugging Face Hub does, and its Hub card is served. Screenshots of the four
// pages at 390 and 1366 px go to ANCAPEX_SCREENSHOTS (target/browser-screenshots).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHECKS, Context } from './lib/checks.mjs';
import { serve } from './lib/server.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = process.env.ANCAPEX_BIN;
const shots = process.env.ANCAPEX_SCREENSHOTS;
const RUN = '/ledgers/model-run-1/';
const ARTIFACT = '/artifacts/eval-suite/';
// A model whose card's metadata is shown as the Hugging Face Hub shows it.
const MODEL = '/artifacts/pilot-model/';
const CHARTS = 5;
// A note written in markdown, appended to the run.
const NOTE = 'Loss **steady** after the restart; see `run.yaml` and the [failure report](https://ancapex.org/failures/) (note-marker).';

/// A model record with a licence, a base model on the Hub, its training data here, and a card
/// written for the Hub (its own tags and library).
function addModel(site) {
  const write = (rel, text) => {
    fs.mkdirSync(path.dirname(path.join(site, rel)), { recursive: true });
    fs.writeFileSync(path.join(site, rel), text);
  };
  const record = (id, kind, summary, links) => [
    'schema = "ancapex.artifact/1"', `id = "${id}"`, 'version = "0.1.0"', `title = "Pilot ${kind}"`,
    `kind = "${kind}"`, 'status = "forming"', `summary = "${summary}"`, 'license = "Apache-2.0"',
    ...links.flatMap((t) => ['', '[[links]]', 'rel = "depends-on"', `target = "${t}"`]), '',
  ].join('\n');
  write('artifacts/pilot-data/artifact.toml', record('pilot-data', 'dataset', 'the training text', []));
  write('artifacts/pilot-model/artifact.toml', record('pilot-model', 'model', 'a small model',
    ['artifact:pilot-data@0.1.0', 'https://huggingface.co/EleutherAI/pythia-160m-deduped-v0-with-a-long-name']));
  write('artifacts/pilot-model/README.md',
    '---\nlanguage: en\nlibrary_name: transformers\ntags:\n- causal-lm\n- a-rather-long-tag-that-must-wrap-on-a-phone\n---\n# Pilot model\n\nA small model.\n');
}

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
  addModel(site);
  execFileSync(bin, ['--root', site, 'ledger', 'append', 'model-run-1', '--type', 'note', '--actor', 'ancapex',
    '--body', JSON.stringify({ text: NOTE })], { stdio: 'pipe' });
  const out = path.join(work, 'public');
  execFileSync(bin, ['--root', site, 'build', '--output-dir', out], { stdio: 'pipe' });
  ctx = new Context(out, { only: [RUN, ARTIFACT, MODEL, '/'], lighthousePages: [RUN, ARTIFACT] });
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

test('a model page shows its Hub metadata, and its Hub card is served, at 320 px', async () => {
  const context = await ctx.browser.newContext({ viewport: { width: 320, height: 900 } });
  const { page, seen } = await ctx.open(context, MODEL);
  const found = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    inner: window.innerWidth,
    tags: [...document.querySelectorAll('.artifact-tags li')].map((li) => li.textContent),
    tree: document.getElementById('lineage-title')?.textContent,
    base: [...document.querySelectorAll('.artifact-facts a code')].map((c) => c.textContent),
    card: document.querySelector('a[href$="/README.md"]')?.getAttribute('href'),
  }));
  const card = await context.request.get(new URL(found.card, page.url()).href);
  const text = await card.text();
  await page.close();
  await context.close();
  assert.ok(found.scroll <= found.inner, `the model page scrolls sideways: ${found.scroll} > ${found.inner}`);
  assert.deepEqual(found.tags, ['License: apache-2.0', 'transformers', 'en', 'causal-lm', 'a-rather-long-tag-that-must-wrap-on-a-phone']);
  assert.equal(found.tree, 'Model tree and data');
  assert.ok(found.base.includes('pilot-data'), found.base.join(', '));
  assert.equal(card.status(), 200);
  assert.match(card.headers()['content-type'], /^text\/markdown/);
  assert.ok(text.startsWith('---\nlicense: apache-2.0\nbase_model:\n- EleutherAI/'), text);
  assert.deepEqual(seen.console, []);
  assert.deepEqual(seen.csp, []);
});

/// The note's entry as the browser leaves it on the run page that lists it, served from `base`.
async function noteAfterCheck(base, url) {
  const context = await ctx.browser.newContext();
  const page = await context.newPage();
  await page.goto(base + url, { waitUntil: 'load' });
  // The script (deferred, so run before `load`) reads every summary again from its line before
  // it fetches anything; the note is in the unsigned tail, so nothing else marks it.
  const li = page.locator('li[data-seq]', { hasText: 'note-marker' });
  const found = await li.evaluate((el) => ({
    summary: el.querySelector('[data-ledger-summary]').innerHTML,
    why: el.querySelector('[data-ledger-state]')?.getAttribute('title') || '',
  }));
  await context.close();
  return found;
}

test('a note is shown with its markdown, and a changed link in it is caught', async () => {
  // The run page that lists the note (the last one).
  const dir = path.join(ctx.root, 'ledgers', 'model-run-1');
  const file = [path.join(dir, 'index.html'), ...fs.readdirSync(path.join(dir, 'page')).map((p) => path.join(dir, 'page', p, 'index.html'))]
    .find((f) => fs.existsSync(f) && fs.readFileSync(f, 'utf8').includes('note-marker'));
  assert.ok(file, 'no run page lists the note');
  const url = '/' + path.relative(ctx.root, path.dirname(file)) + '/';
  const shown = await noteAfterCheck(ctx.server.url, url);
  assert.equal(shown.summary, 'Loss <strong>steady</strong> after the restart; see <code>run.yaml</code> and the <a href="https://ancapex.org/failures/">failure report</a> (note-marker).');
  assert.ok(!shown.why.includes('summary served'), shown.why);

  // The same page with the link's address changed: the line's is shown again, and said.
  const copy = fs.mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(), 'ancapex-note-'));
  fs.cpSync(ctx.root, copy, { recursive: true });
  const changed = file.replace(ctx.root, copy);
  const html = fs.readFileSync(changed, 'utf8');
  const altered = html.replace(/href="?https:\/\/ancapex\.org\/failures\/"?>failure report/, 'href="https://elsewhere.example/">failure report');
  assert.notEqual(altered, html);
  fs.writeFileSync(changed, altered);
  const server = await serve(copy);
  try {
    const caught = await noteAfterCheck(server.url, url);
    assert.match(caught.why, /the summary served was not the stored line's/);
    assert.ok(caught.summary.includes('<a href="https://ancapex.org/failures/">failure report</a>'), caught.summary);
  } finally {
    await server.close();
    fs.rmSync(copy, { recursive: true, force: true });
  }
});

for (const name of ['axe', 'htmlValidate', 'consoleAndCsp', 'noJavaScript', 'lighthouse']) {
  test(`${name} passes on the run page, an artifact page, a model page and the homepage`, { timeout: 300_000 }, async () => {
    const failures = await CHECKS[name](ctx);
    assert.deepEqual(failures, []);
  });
}

test('screenshots of the run page, an artifact page and the homepage', { skip: !shots }, async () => {
  fs.mkdirSync(shots, { recursive: true });
  for (const width of [390, 1366]) {
    const context = await ctx.browser.newContext({ viewport: { width, height: 900 } });
    for (const [name, url] of [['run-page', RUN], ['artifact', ARTIFACT], ['model', MODEL], ['home', '/']]) {
      const { page } = await ctx.open(context, url);
      await page.screenshot({ path: path.join(shots, `${name}-${width}.png`), fullPage: true });
      await page.close();
    }
    await context.close();
  }
});
