#!/usr/bin/env node
// ancapex's search and Pagefind side by side on the same built site, in Chromium: for each
// pair of a fixed list of queries (a first query, then a follow-up on the same page), the
// bytes each transfers and the results it shows.
//
//   cargo build --release
//   (cd tests/browser && npm ci) && (cd bench/search && npm ci)
//   node bench/search/compare.mjs [--pages 10000] [--workdir DIR] [--ancapex-only]
//
// The site is ../shared/bench/gen_site.py --pages N built by `ancapex build` (the built-in
// theme, minify on). Pagefind 1.6.0 (pinned in bench/search/package.json, a benchmark
// dependency only) indexes a copy of that output; its copy is served without the site's
// `_headers`, as its WebAssembly needs a CSP with 'wasm-unsafe-eval', which ours does not allow.
// Each query pair runs in a fresh browser context (empty cache): ancapex on its /search/ page
// (typing into the box), Pagefind through its JavaScript API (search, then the data of the
// first 10 results, as many as ancapex shows).
//
// Bytes: what a server compressing with gzip -9 would send for each response (text files:
// JavaScript, JSON, HTML; Pagefind's index files and WebAssembly are already gzip, so their
// size as they are), for every request the search makes after the page has loaded, and the
// search script itself (ancapex's search.js, Pagefind's pagefind.js). The page's HTML and
// stylesheet are not counted for either.
//
// Results: the first 10 of each, against the pages whose markdown holds every query word (a
// word, or a plural of it, or for the last word anything it starts): precision at 10 (the share
// of the results shown that hold every word) and, for the queries naming one page, that page's
// rank.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const shared = process.env.ANCAPEX_SHARED || path.resolve(repo, '..', 'shared');
const { chromium } = await import(path.join(repo, 'tests/browser/node_modules/playwright-core/index.mjs'));
const { serve } = await import(path.join(repo, 'tests/browser/lib/server.mjs'));
const { CHROMIUM, CHROME_FLAGS } = await import(path.join(repo, 'tests/browser/lib/checks.mjs'));

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const pages = Number(arg('--pages', '10000'));
const work = arg('--workdir', path.join(repo, 'target', `search-compare-${pages}`));
// Without Pagefind: for sizes where only ancapex's own figures are wanted (100,000 pages).
const tools = process.argv.includes('--ancapex-only') ? ['ancapex'] : ['ancapex', 'pagefind'];

/** [first query, follow-up, the page both name (or none)]. */
const QUERIES = [
  ['provenance', 'provenance ledger', null],
  ['2355', 'govern cluster 2355', '/s055/p02355/'],
  ['checkpoints', 'checkpoint shard', null],
  ['hashlib', 'hashlib digest', null],
  ['verif', 'verification substrate', null],
  ['qualified', 'qualified pending failed', null],
];

// --- the site, built once by each ---------------------------------------------------------
const site = path.join(work, 'site');
const ours = path.join(work, 'ancapex');
const theirs = path.join(work, 'pagefind');
if (!fs.existsSync(path.join(site, 'content'))) {
  execFileSync('python3', [path.join(shared, 'bench', 'gen_site.py'), '--pages', String(pages), '--out', site]);
  fs.writeFileSync(path.join(site, 'site.toml'), 'title = "Benchmark site"\nbase_url = "https://example.org"\ntheme = "ancapex"\n');
}
if (!fs.existsSync(path.join(ours, 'search'))) {
  execFileSync(path.join(repo, 'target', 'release', 'ancapex'), ['--root', site, 'build', '--output-dir', ours], { stdio: 'inherit' });
}
if (tools.includes('pagefind') && !fs.existsSync(path.join(theirs, 'pagefind'))) {
  fs.cpSync(ours, theirs, { recursive: true });
  fs.rmSync(path.join(theirs, '_headers'));
  execFileSync(path.join(here, 'node_modules', '.bin', 'pagefind'), ['--site', theirs], { stdio: 'inherit' });
  fs.writeFileSync(path.join(theirs, 'pf-harness.js'), `window.pfSearch = async (q) => {
  const pf = await import('/pagefind/pagefind.js');
  const s = await pf.search(q);
  const data = await Promise.all(s.results.slice(0, 10).map((r) => r.data()));
  return { count: s.results.length, urls: data.map((d) => d.url) };
};\n`);
  fs.writeFileSync(path.join(theirs, 'pf-search.html'), '<!doctype html><title>Pagefind</title><script src="/pf-harness.js"></script>\n');
}

// --- what each page holds, for precision ----------------------------------------------------
const stem = (w) => (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w);
const words = (t) => (t.toLowerCase().match(/[\p{L}\p{N}]+/gu) || []).map(stem);
const holds = new Map();
const walk = (dir) => {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith('.md')) {
      const rel = path.relative(path.join(site, 'content'), dir).split(path.sep).join('/');
      holds.set(rel ? `/${rel}/` : '/', new Set(words(fs.readFileSync(p, 'utf8'))));
    }
  }
};
walk(path.join(site, 'content'));
const relevant = (url, query) => {
  const have = holds.get(url);
  if (!have) return false;
  const q = words(query);
  return q.every((w, i) => have.has(w) || (i === q.length - 1 && [...have].some((h) => h.startsWith(w))));
};

// --- bytes a compressing server sends -------------------------------------------------------
const sent = (root, urlPath) => {
  let file = path.join(root, decodeURIComponent(urlPath));
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
  if (!fs.existsSync(file)) return 0;
  const bytes = fs.readFileSync(file);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return bytes.length; // already gzip
  return Math.min(bytes.length, zlib.gzipSync(bytes, { level: 9 }).length);
};
const counted = (p) => !p.endsWith('.html') && !p.endsWith('/') && !p.endsWith('.css') && !p.endsWith('.svg');

const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROME_FLAGS });
const servers = { ancapex: await serve(ours) };
if (tools.includes('pagefind')) servers.pagefind = await serve(theirs);
const rows = [];
for (const [first, second, target] of QUERIES) {
  for (const tool of tools) {
    const server = servers[tool];
    const root = tool === 'ancapex' ? ours : theirs;
    const context = await browser.newContext();
    const page = await context.newPage();
    let requests = [];
    page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    await page.goto(server.url + (tool === 'ancapex' ? '/search/' : '/pf-search.html'), { waitUntil: 'networkidle' });
    // The search script loaded with the page counts with the first query.
    let carried = requests.filter((p) => p.includes('/js/search.'));
    for (const query of [first, second]) {
      requests = [...carried];
      carried = [];
      let result;
      if (tool === 'ancapex') {
        await page.fill('#search-q', query);
        await page.waitForFunction((q) => document.querySelector('[data-search-status]').textContent.includes(q), query, { timeout: 30000 });
        await page.waitForLoadState('networkidle');
        const urls = await page.$$eval('[data-search-results] a', (as) => as.map((a) => a.getAttribute('href')));
        const status = await page.textContent('[data-search-status]');
        result = { urls, count: status };
      } else {
        result = await page.evaluate((q) => window.pfSearch(q), query);
        await page.waitForLoadState('networkidle');
        result.count = `${result.count} results`;
      }
      const files = requests.filter(counted);
      const bytes = files.reduce((a, p) => a + sent(root, p), 0);
      const top = result.urls.slice(0, 10);
      const precision = top.length ? top.filter((u) => relevant(u, query)).length / top.length : 0;
      const rank = target ? top.indexOf(target) + 1 || '-' : '';
      rows.push({ query, tool, requests: files.length, bytes, shown: top.length, count: result.count, precision, rank });
      console.error(`${tool} ${JSON.stringify(query)}: ${files.length} requests, ${bytes} B, ${result.count}, p@10 ${precision.toFixed(2)}${target ? `, rank ${rank}` : ''}`);
    }
    await context.close();
  }
}
await browser.close();
for (const server of Object.values(servers)) await server.close();

const by = (q, t) => rows.find((r) => r.query === q && r.tool === t);
const cells = (r) => r ? [r.requests, r.bytes.toLocaleString('en'), `${r.shown} / ${r.count.replace(/ for .*/, '')}`, r.precision.toFixed(2), r.rank] : [];
console.log(`| query | ${tools.map((t) => `${t}: requests | bytes (gzip) | results shown / found | precision@10 | rank of the named page`).join(' | ')} |`);
console.log(`| --- |${' ---: | ---: | --- | ---: | ---: |'.repeat(tools.length)}`);
const totals = Object.fromEntries(tools.map((t) => [t, 0]));
for (const [first, second] of QUERIES) {
  for (const [q, label] of [[first, `\`${first}\``], [second, `then \`${second}\``]]) {
    tools.forEach((t) => { totals[t] += by(q, t).bytes; });
    console.log(`| ${label} | ${tools.flatMap((t) => cells(by(q, t))).join(' | ')} |`);
  }
}
console.log(`\nall ${QUERIES.length * 2} queries: ${tools.map((t) => `${t} ${totals[t].toLocaleString('en')} B, the most for one ${Math.max(...rows.filter((r) => r.tool === t).map((r) => r.bytes)).toLocaleString('en')} B`).join('; ')}`);
