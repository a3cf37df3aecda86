// Every check the browser suite makes of a built site, each an async function of a shared
// context that returns a list of failures (empty: the check passed). The same checks run
// against the real site (each must pass) and the broken fixture (each must fail).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawn } from 'node:child_process';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { HtmlValidate, StaticConfigLoader } from 'html-validate';
import { serve } from './server.mjs';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
/** Flags that let Chromium start headless as root on a machine with no outside network. */
export const CHROME_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const WIDTHS = [320, 768, 1280];
/** Pages checked at once. */
const PARALLEL = 3;
/** Homepage HTML + CSS + JS, gzip -9, in bytes. */
export const BUDGET_BYTES = 60 * 1024;
/**
 * Lighthouse runs (ANCAPEX_LIGHTHOUSE_RUNS, default 1). Its performance score moves with the
 * machine's load, so it is recorded (target/browser-figures.json, BENCHMARKS.md), never
 * asserted; the categories below do not depend on timing and must score 100.
 */
const LIGHTHOUSE_RUNS = Number(process.env.ANCAPEX_LIGHTHOUSE_RUNS || 1);
export const LIGHTHOUSE_MIN = { accessibility: 100, 'best-practices': 100, seo: 100 };
/** What the page's own scripts add or change, ignored when comparing text with JS on and off. */
const JS_MANAGED = ['[data-ledger-state]', '[data-search-results]', '[data-search-status]', '[data-search-more]'];

/**
 * Runs a program without blocking the event loop (the test server runs in this process, and a
 * synchronous child would leave the browser it drives waiting for pages forever).
 */
function run(cmd, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', (error) => resolve({ error, stdout, stderr, status: null }));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Every HTML file of a built site, as `{file, url}`, sorted. */
export function htmlPages(root) {
  const out = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.html')) {
        const rel = path.relative(root, p).split(path.sep).join('/');
        const url = '/' + (rel === 'index.html' ? '' : rel.replace(/(^|\/)index\.html$/, '$1'));
        out.push({ file: p, url });
      }
    }
  };
  walk(root);
  return out.sort((a, b) => a.url.localeCompare(b.url));
}

/** A check context over one built site: the server, the browser and what one pass saw. */
export class Context {
  /**
   * `only`: the URLs of the pages to check (default: every page); `lighthousePages`: the pages
   * Lighthouse scores (default: the homepage).
   */
  constructor(root, { screenshots, lighthouse = true, lighthouseRuns = LIGHTHOUSE_RUNS, lighthousePages = ['/'], only } = {}) {
    this.lighthouseRuns = lighthouseRuns;
    this.lighthousePages = lighthousePages;
    this.root = path.resolve(root);
    this.screenshots = screenshots;
    this.lighthouse = lighthouse;
    this.pages = htmlPages(this.root).filter((p) => !only || only.includes(p.url));
    this.memo = new Map();
  }

  async start() {
    this.server = await serve(this.root);
    this.browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROME_FLAGS.slice(1), headless: true });
    return this;
  }

  async stop() {
    await this.browser?.close();
    await this.server?.close();
  }

  once(key, fn) {
    if (!this.memo.has(key)) this.memo.set(key, fn());
    return this.memo.get(key);
  }

  /** Opens a page with listeners for console errors, CSP violations and every request. */
  async open(context, url) {
    const page = await context.newPage();
    const seen = { console: [], csp: [], requests: [], errors: [] };
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') seen.console.push(`${m.type()}: ${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (e) => seen.errors.push(String(e)));
    page.on('request', (r) => seen.requests.push(r.url()));
    await page.exposeFunction('__cspViolation', (v) => seen.csp.push(v));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__cspViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
      });
    });
    const response = await page.goto(this.server.url + url, { waitUntil: 'load' });
    // Let async scripts (ledger checks, search) settle.
    await page.waitForLoadState('networkidle').catch(() => {});
    return { page, seen, status: response?.status() };
  }

  /** One pass over every page with JavaScript on and one with it off. */
  pass() {
    return this.once('pass', async () => {
      const on = await this.browser.newContext();
      const off = await this.browser.newContext({ javaScriptEnabled: false });
      const one = async (url) => {
        const { page, seen, status } = await this.open(on, url);
        const axe = await new AxeBuilder({ page }).analyze();
        const dom = await page.evaluate((managed) => {
          const ids = [...document.querySelectorAll('[id]')].map((e) => e.id);
          for (const a of document.querySelectorAll('a[name]')) ids.push(a.getAttribute('name'));
          const links = [...document.querySelectorAll('a[href], link[href]')].map((a) => ({
            href: a.href,
            rel: a.getAttribute('rel') || '',
          }));
          // What is rendered (innerText skips what CSS hides), less what the scripts manage.
          for (const sel of managed) document.querySelectorAll(sel).forEach((e) => e.remove());
          const text = document.body.innerText;
          const meta = (sel) => document.querySelector(sel)?.getAttribute('content') ?? null;
          return {
            ids,
            links,
            text,
            head: {
              title: document.title,
              description: meta('meta[name="description"]'),
              canonical: document.querySelector('link[rel="canonical"]')?.getAttribute('href') ?? null,
              og: ['og:title', 'og:description', 'og:url', 'og:type', 'og:site_name'].filter(
                (p) => !meta(`meta[property="${p}"]`),
              ),
            },
            subresources: [...document.querySelectorAll('script[src], link[href][rel~="stylesheet"], link[href][rel~="icon"], link[href][rel~="preload"], img[src], iframe[src], source[src], video[src], audio[src]')].map((e) => e.src || e.href),
            // Scripts that stop the first render (in the head, neither deferred, async nor a
            // module), and images the layout cannot size before they load.
            blocking: [...document.querySelectorAll('head script')]
              .filter((s) => !s.defer && !s.async && s.type !== 'module')
              .map((s) => s.src || `inline script: ${s.textContent.trim().slice(0, 60)}`),
            unsized: [...document.querySelectorAll('img')]
              .filter((i) => !i.hasAttribute('width') || !i.hasAttribute('height'))
              .map((i) => i.getAttribute('src')),
          };
        }, JS_MANAGED);
        await page.close();
        const quiet = await off.newPage();
        await quiet.goto(this.server.url + url, { waitUntil: 'load' });
        const textOff = await quiet.evaluate((managed) => {
          for (const sel of managed) document.querySelectorAll(sel).forEach((e) => e.remove());
          return document.body.innerText;
        }, JS_MANAGED);
        await quiet.close();
        return { url, status, seen, axe, ...dom, textOff };
      };
      // A few pages at a time: most of the time goes to axe and page loads, not the CPU.
      const results = new Array(this.pages.length);
      let next = 0;
      const worker = async () => {
        while (next < this.pages.length) {
          const i = next++;
          results[i] = await one(this.pages[i].url);
        }
      };
      await Promise.all(Array.from({ length: PARALLEL }, worker));
      await on.close();
      await off.close();
      return results;
    });
  }
}

const words = (text) => text.replace(/\s+/g, ' ').trim();

/** Every check, by name. Each returns a list of failures. */
export const CHECKS = {
  async axe(ctx) {
    const out = [];
    for (const p of await ctx.pass()) {
      for (const v of p.axe.violations) {
        const where = v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ');
        out.push(`${p.url}: axe ${v.id} (${v.impact}): ${v.help} at ${where}`);
      }
    }
    return out;
  },

  async htmlValidate(ctx) {
    const loader = new StaticConfigLoader({ extends: ['html-validate:recommended'], rules: htmlRules });
    const validator = new HtmlValidate(loader);
    const out = [];
    for (const { file, url } of ctx.pages) {
      const report = await validator.validateFile(file);
      for (const r of report.results) {
        for (const m of r.messages) {
          if (m.severity >= 2) out.push(`${url}:${m.line}:${m.column}: html-validate ${m.ruleId}: ${m.message}`);
        }
      }
    }
    return out;
  },

  async consoleAndCsp(ctx) {
    const out = [];
    for (const p of await ctx.pass()) {
      for (const m of p.seen.console) out.push(`${p.url}: console ${m}`);
      for (const e of p.seen.errors) out.push(`${p.url}: uncaught ${e}`);
      for (const v of p.seen.csp) out.push(`${p.url}: CSP violation: ${v}`);
      if (p.status !== 200 && p.url !== '/404.html') out.push(`${p.url}: status ${p.status}`);
    }
    return out;
  },

  /** lychee over the built files (offline), then every same-site link and fragment resolved. */
  async links(ctx) {
    const out = [];
    const lychee = process.env.LYCHEE || 'lychee';
    const result = await run(
      lychee,
      ['--offline', '--no-progress', '--include-fragments', '--root-dir', ctx.root, '--index-files', 'index.html', '--format', 'compact', ctx.root],
    );
    if (result.error) out.push(`lychee did not run: ${result.error.message}`);
    else if (result.status !== 0) out.push(`lychee found broken links:\n${result.stdout}${result.stderr}`);
    const pages = await ctx.pass();
    const ids = new Map(pages.map((p) => [p.url, new Set(p.ids)]));
    const origin = ctx.server.url;
    const status = new Map();
    for (const p of pages) {
      for (const { href } of p.links) {
        if (!href.startsWith(origin)) continue;
        const u = new URL(href);
        const target = u.pathname;
        if (!status.has(target)) {
          const res = await fetch(origin + target, { method: 'HEAD', redirect: 'manual' });
          status.set(target, res.status);
        }
        if (status.get(target) !== 200) {
          out.push(`${p.url}: link to ${target} gets ${status.get(target)}`);
          continue;
        }
        const frag = decodeURIComponent(u.hash.slice(1));
        if (frag && ids.has(target) && !ids.get(target).has(frag)) {
          out.push(`${p.url}: link to ${target}#${frag}: no element with that id`);
        }
      }
    }
    return out;
  },

  /** No page scrolls sideways at 320 px; the homepage at every width, with screenshots. */
  async responsive(ctx) {
    const out = [];
    const narrow = await ctx.browser.newContext({ viewport: { width: 320, height: 900 } });
    let next = 0;
    const worker = async () => {
      while (next < ctx.pages.length) {
        const { url } = ctx.pages[next++];
        const page = await narrow.newPage();
        await page.goto(ctx.server.url + url, { waitUntil: 'load' });
        const { scroll, inner } = await page.evaluate(() => ({
          scroll: document.documentElement.scrollWidth,
          inner: window.innerWidth,
        }));
        if (scroll > inner) out.push(`${url} at 320px scrolls sideways: scrollWidth ${scroll} > innerWidth ${inner}`);
        await page.close();
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    await narrow.close();
    const context = await ctx.browser.newContext();
    for (const width of WIDTHS) {
      const page = await context.newPage();
      await page.setViewportSize({ width, height: 900 });
      await page.goto(ctx.server.url + '/', { waitUntil: 'networkidle' });
      const { scroll, inner } = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        inner: window.innerWidth,
      }));
      if (scroll > inner) out.push(`homepage at ${width}px scrolls sideways: scrollWidth ${scroll} > innerWidth ${inner}`);
      if (ctx.screenshots) {
        fs.mkdirSync(ctx.screenshots, { recursive: true });
        await page.screenshot({ path: path.join(ctx.screenshots, `home-${width}.png`), fullPage: true });
      }
      await page.close();
    }
    await context.close();
    return out;
  },

  async contactForm(ctx) {
    const out = [];
    const context = await ctx.browser.newContext();
    const page = await context.newPage();
    await page.goto(ctx.server.url + '/', { waitUntil: 'load' });
    const form = page.locator('form.contact-form');
    if ((await form.count()) !== 1) return [`homepage has ${await form.count()} contact forms, expected 1`];
    const required = await form.evaluate((f) => [...f.elements].filter((e) => e.required).map((e) => e.name));
    for (const name of ['name', 'contact', 'message']) {
      if (!required.includes(name)) out.push(`contact form field \`${name}\` is not required`);
    }
    // The browser validates on the click itself: a form it lets through fires `submit` before
    // the click returns, one it blocks never does. No waiting on a timer.
    await form.evaluate((f) => {
      window.__ancapexSubmitted = false;
      f.addEventListener('submit', (e) => { window.__ancapexSubmitted = true; e.preventDefault(); });
    });
    await form.locator('button[type="submit"], button:not([type])').first().click();
    const submitted = await page.evaluate(() => window.__ancapexSubmitted);
    const invalid = await form.evaluate((f) => [...f.elements].filter((e) => e.willValidate && !e.validity.valid).map((e) => e.name));
    if (submitted) out.push('submitting the empty contact form was not blocked');
    if (invalid.length === 0) out.push('the empty contact form reports no invalid field');
    await context.close();
    return out;
  },

  /**
   * Real excerpts verify, each showing the summary the browser reads from its line; a served
   * copy with one byte of one entry's line altered does not verify, nor does one whose line is
   * intact but whose summary was changed (which then shows the line's summary).
   */
  async ledger(ctx) {
    const out = [];
    const pages = (await ctx.pass()).filter((p) => p.text.includes('Stored line'));
    if (pages.length === 0) return ['no page shows a ledger excerpt'];
    const context = await ctx.browser.newContext();
    const states = async (base, url) => {
      const page = await context.newPage();
      await page.goto(base + url, { waitUntil: 'load' });
      await page.waitForFunction(
        () => [...document.querySelectorAll('[data-ledger-verify] li[data-seq]')].every((li) => li.hasAttribute('data-verified')),
        null,
        // A bound on a hang, not a timing check: each entry is marked either way.
        { timeout: 60000 },
      ).catch(() => {});
      const s = await page.$$eval('[data-ledger-verify] li[data-seq]', (lis) => lis.map((li) => li.getAttribute('data-verified')));
      const shown = await page.$$eval('[data-ledger-verify] li[data-seq] [data-ledger-summary]', (ps) => ps.map((p) => p.textContent));
      await page.close();
      s.shown = shown;
      return s;
    };
    const served = (html) => [...html.matchAll(/data-ledger-summary>([^<]*)</g)].map((m) => m[1]);
    const url = pages[0].url;
    for (const p of pages) {
      const s = await states(ctx.server.url, p.url);
      const bad = s.filter((v) => v !== 'true').length;
      if (bad) out.push(`${p.url}: ${bad} of ${s.length} ledger excerpts not verified`);
      else ctx.note?.(`${p.url}: ${s.length}/${s.length} ledger excerpts verified`);
    }
    // The altered copy: one byte of the first entry's stored line changed.
    const copy = fs.mkdtempSync(path.join(process.env.TMPDIR || '/tmp', 'ancapex-altered-'));
    fs.cpSync(ctx.root, copy, { recursive: true });
    const file = ctx.pages.find((p) => p.url === url).file.replace(ctx.root, copy);
    const html = fs.readFileSync(file, 'utf8');
    // The first letter of the line's content after its opening `{"`, changed to another.
    const open = html.indexOf('data-ledger-line>');
    const start = open < 0 ? -1 : open + 'data-ledger-line>'.length;
    const m = start < 0 ? null : /[a-z]/.exec(html.slice(start + 2, start + 200));
    if (!m) {
      out.push(`${url}: no stored ledger line to alter`);
    } else {
      const i = start + 2 + m.index;
      const altered = html.slice(0, i) + (html[i] === 'x' ? 'y' : 'x') + html.slice(i + 1);
      fs.writeFileSync(file, altered);
      const server = await serve(copy);
      const s = await states(server.url, url);
      const verified = s.filter((v) => v === 'true').length;
      if (s[0] === 'true') out.push(`${url}: the altered entry is still marked verified`);
      if (verified !== s.length - 1) out.push(`${url}: altered copy: ${verified} of ${s.length} verified, expected ${s.length - 1}`);
      else ctx.note?.(`${url}: altered copy: ${verified} of ${s.length} verified, the altered one not`);
      // The line intact, the summary served changed: what is shown as verified must be what
      // was verified.
      const summaries = served(html);
      const at = html.indexOf('data-ledger-summary>');
      if (at < 0 || summaries.length === 0) {
        out.push(`${url}: no ledger summary to alter`);
      } else {
        const start = at + 'data-ledger-summary>'.length;
        fs.writeFileSync(file, html.slice(0, start) + 'Nothing happened here. ' + html.slice(start));
        const t = await states(server.url, url);
        if (t[0] === 'true') out.push(`${url}: an entry whose summary was changed is still marked verified`);
        else if (t.shown[0] !== summaries[0].replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'")) {
          out.push(`${url}: a changed summary was left as served: ${t.shown[0]}`);
        } else ctx.note?.(`${url}: a changed summary is not verified and shows its line's again`);
      }
      await server.close();
    }
    fs.rmSync(copy, { recursive: true, force: true });
    await context.close();
    return out;
  },

  async noJavaScript(ctx) {
    const out = [];
    for (const p of await ctx.pass()) {
      const off = new Set(words(p.textOff).split(' '));
      const missing = words(p.text).split(' ').filter((w) => w && !off.has(w));
      if (missing.length) out.push(`${p.url}: without JavaScript the page lacks: ${missing.slice(0, 12).join(' ')}`);
    }
    return out;
  },

  async budget(ctx) {
    const out = [];
    const context = await ctx.browser.newContext();
    const page = await context.newPage();
    const bodies = [];
    page.on('response', async (r) => {
      const type = r.request().resourceType();
      if (['document', 'stylesheet', 'script'].includes(type)) bodies.push(r.body().then((b) => ({ url: r.url(), type, b })));
    });
    await page.goto(ctx.server.url + '/', { waitUntil: 'networkidle' });
    const all = await Promise.all(bodies);
    await context.close();
    let raw = 0, gz = 0, br = 0;
    for (const { b } of all) {
      raw += b.length;
      gz += zlib.gzipSync(b, { level: 9 }).length;
      br += zlib.brotliCompressSync(b).length;
    }
    ctx.note?.(`homepage HTML+CSS+JS: ${all.length} files, ${raw} B raw, ${gz} B gzip -9, ${br} B brotli`);
    ctx.figures = { ...ctx.figures, homepage: { files: all.length, raw, gzip: gz, brotli: br } };
    if (gz >= BUDGET_BYTES) out.push(`homepage HTML+CSS+JS is ${gz} B gzipped, budget ${BUDGET_BYTES} B`);
    return out;
  },

  /** No script blocks the first render; stylesheets (the site's two) are what the page needs. */
  async renderBlocking(ctx) {
    const out = [];
    for (const p of await ctx.pass()) {
      for (const s of p.blocking) out.push(`${p.url}: render-blocking ${s}`);
    }
    return out;
  },

  /** Every image has its width and height in the markup, so nothing shifts as it loads. */
  async imageDimensions(ctx) {
    const out = [];
    for (const p of await ctx.pass()) {
      for (const src of p.unsized) out.push(`${p.url}: <img src="${src}"> has no width and height`);
    }
    return out;
  },

  async sameHost(ctx) {
    const out = [];
    const origin = new URL(ctx.server.url).origin;
    for (const p of await ctx.pass()) {
      for (const r of p.seen.requests) {
        if (!r.startsWith('data:') && new URL(r).origin !== origin) out.push(`${p.url}: request to ${r}`);
      }
      for (const r of p.subresources) {
        if (r && !r.startsWith('data:') && new URL(r, origin).origin !== origin) out.push(`${p.url}: loads ${r} from another host`);
      }
    }
    return out;
  },

  async meta(ctx) {
    const out = [];
    for (const p of await ctx.pass()) {
      if (p.url === '/404.html') continue;
      const h = p.head;
      if (!h.title) out.push(`${p.url}: no <title>`);
      if (!h.description) out.push(`${p.url}: no meta description`);
      if (!h.canonical || !/^https?:\/\//.test(h.canonical)) out.push(`${p.url}: no absolute canonical URL`);
      if (h.og.length) out.push(`${p.url}: missing Open Graph ${h.og.join(', ')}`);
    }
    return out;
  },

  async search(ctx) {
    const out = [];
    const cases = [
      { query: 'manifesto', expect: '/manifesto/' },
      { query: 'ownership matrix', expect: '/artifacts/ownership-matrix/' },
      { query: 'run ledger', expect: '/ledgers/model-run-1/' },
    ];
    const context = await ctx.browser.newContext();
    const page = await context.newPage();
    const res = await page.goto(ctx.server.url + '/search/', { waitUntil: 'networkidle' });
    if (res?.status() !== 200) return [`/search/ gets ${res?.status()}`];
    const box = page.getByRole('searchbox');
    if ((await box.count()) === 0) return ['/search/ has no labelled search box'];
    for (const { query, expect } of cases) {
      await box.first().fill('');
      await box.first().pressSequentially(query, { delay: 10 });
      const link = page.locator(`[data-search-results] a[href="${expect}"]`);
      try {
        // A bound on a hang, not a timing check: the results come or they do not.
        await link.first().waitFor({ timeout: 30000 });
      } catch {
        const shown = await page.locator('[data-search-results]').innerText().catch(() => '(no results region)');
        out.push(`searching \`${query}\` does not list ${expect}; shown: ${words(shown).slice(0, 200)}`);
        continue;
      }
      const live = await page.locator('[data-search-status]').getAttribute('aria-live').catch(() => null);
      if (live !== 'polite' && live !== 'assertive') out.push('search results are not announced (no aria-live status)');
    }
    await context.close();
    return out;
  },

  /**
   * Lighthouse, mobile, on the homepage: LIGHTHOUSE_RUNS runs. Accessibility, best practices
   * and SEO do not depend on timing: each run must score 100. Performance does (a run on a
   * loaded machine scored 87 where an idle one scores 100), so it is a figure: the runs' scores
   * and their median go to `ctx.figures`, printed and written by the suite, recorded in
   * BENCHMARKS.md; never a failure.
   */
  async lighthouse(ctx) {
    if (!ctx.lighthouse) return [];
    const out = [];
    const bin = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'node_modules', '.bin', 'lighthouse');
    for (const url of ctx.lighthousePages) {
      const runs = [];
      for (let i = 0; i < ctx.lighthouseRuns; i += 1) {
        const dir = fs.mkdtempSync(path.join(process.env.TMPDIR || '/tmp', 'ancapex-lh-'));
        const report = path.join(dir, 'report.json');
        const result = await run(
          bin,
          [ctx.server.url + url, '--quiet', '--output=json', `--output-path=${report}`, `--chrome-flags=${CHROME_FLAGS.join(' ')} --user-data-dir=${dir}/profile`, '--form-factor=mobile', '--only-categories=performance,accessibility,best-practices,seo'],
          { env: { ...process.env, CHROME_PATH: CHROMIUM } },
        );
        if (!fs.existsSync(report)) {
          fs.rmSync(dir, { recursive: true, force: true });
          return [`${url}: lighthouse did not run (exit ${result.status}): ${result.stderr.slice(-2000)}`];
        }
        runs.push(JSON.parse(fs.readFileSync(report, 'utf8')));
        fs.rmSync(dir, { recursive: true, force: true });
      }
      const { failures, figures } = scoreLighthouse(runs);
      // The homepage's figures keep their place; other pages' go under `lighthousePages`.
      if (url === '/') ctx.figures = { ...ctx.figures, lighthouse: figures };
      else ctx.figures = { ...ctx.figures, lighthousePages: { ...ctx.figures?.lighthousePages, [url]: figures } };
      const { performance, performanceRuns, ...scores } = figures;
      ctx.note?.(`lighthouse ${url} (mobile, ${runs.length} run(s)): ${JSON.stringify(scores)}; performance, a figure not a check: ${performanceRuns.join(', ')} (median ${performance})`);
      out.push(...failures.map((f) => `${url}: ${f}`));
    }
    return out;
  },
};

/**
 * What Lighthouse runs (their JSON results) say: a failure for every run in which a category
 * of LIGHTHOUSE_MIN scores less, with the audits that cost it, and the figures: the lowest
 * score of each of those categories, and the performance score of each run and their median,
 * which is recorded and never a failure.
 */
export function scoreLighthouse(runs) {
  const failures = [];
  const scores = {};
  for (const [i, lhr] of runs.entries()) {
    for (const [id, min] of Object.entries(LIGHTHOUSE_MIN)) {
      const score = Math.round((lhr.categories[id]?.score ?? 0) * 100);
      scores[id] = Math.min(scores[id] ?? 100, score);
      if (score < min) {
        const failed = Object.values(lhr.audits)
          .filter((a) => a.score !== null && a.score < 1 && lhr.categories[id].auditRefs.some((r) => r.id === a.id && r.weight > 0))
          .map((a) => a.id);
        failures.push(`lighthouse run ${i + 1}: ${id} ${score} < ${min}; failing audits: ${failed.join(', ')}`);
      }
    }
  }
  const performanceRuns = runs.map((r) => Math.round((r.categories.performance?.score ?? 0) * 100)).sort((a, b) => a - b);
  const performance = performanceRuns[Math.floor(performanceRuns.length / 2)];
  return { failures, figures: { ...scores, performance, performanceRuns } };
}

/**
 * html-validate's recommended rules, less four that the shipped (minified) HTML breaks on
 * purpose: minify-html leaves attribute values unquoted where HTML allows it, writes the
 * doctype in lowercase and drops default attribute values (`type="submit"` on a button,
 * `type="text"` on an input), which those rules only recommend. And `no-redundant-role`:
 * the artifact table keeps `role="table"`/`row`/`cell` and unstyled lists keep `role="list"`,
 * because browsers drop the native roles of a table or list whose CSS display is changed.
 */
const htmlRules = {
  'attr-quotes': 'off',
  'doctype-style': 'off',
  'no-implicit-button-type': 'off',
  'no-implicit-input-type': 'off',
  'no-redundant-role': 'off',
};
