// Images written in markdown, in the browser: a site of three photo pages (2400x1600 JPEGs made
// by examples/image_site.rs, ANCAPEX_IMAGE_SITE), built with ANCAPEX_BIN. On a photo page at
// phone width (390 px, 3x) the browser downloads a small WebP variant, never the full-size
// photo; at desktop width a wider one; and the page does not shift as the image loads
// (cumulative layout shift 0, measured with the Layout Instability API while the image is
// held back until after the first paint).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Context } from './lib/checks.mjs';

const bin = process.env.ANCAPEX_BIN;
const generator = process.env.ANCAPEX_IMAGE_SITE;
const PAGE = '/p0001/';

let ctx;

before(() => {
  if (!bin || !generator) throw new Error('ANCAPEX_BIN and ANCAPEX_IMAGE_SITE must name the binaries');
  const work = fs.mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(), 'ancapex-images-'));
  const site = path.join(work, 'site');
  execFileSync(generator, [site, '3'], { stdio: 'pipe' });
  const out = path.join(work, 'public');
  execFileSync(bin, ['--root', site, 'build', '--output-dir', out], { stdio: 'pipe' });
  ctx = new Context(out, { only: [PAGE], lighthouse: false });
  return ctx.start();
});

after(() => ctx?.stop());

/** The images a page at this viewport downloads, and its cumulative layout shift. */
async function visit(viewport, deviceScaleFactor) {
  const context = await ctx.browser.newContext({ viewport, deviceScaleFactor });
  // The photo arrives late, after the text is laid out: a page without the image's size would
  // shift then.
  await context.route(/\.(webp|jpg)$/, async (route) => {
    await new Promise((r) => setTimeout(r, 400));
    await route.continue();
  });
  await context.addInitScript(() => {
    window.__cls = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (!e.hadRecentInput) window.__cls += e.value;
    }).observe({ type: 'layout-shift', buffered: true });
  });
  const { page, seen } = await ctx.open(context, PAGE);
  await page.waitForFunction(() => [...document.images].every((i) => i.complete));
  const cls = await page.evaluate(() => window.__cls);
  const shown = await page.evaluate(() => [...document.images].map((i) => i.currentSrc));
  await page.close();
  await context.close();
  const images = seen.requests.filter((u) => /\.(webp|jpg|png)$/.test(u)).map((u) => new URL(u).pathname);
  return { cls, images, shown, seen };
}

test('a phone downloads a small variant, and the page does not shift', async () => {
  const { cls, images, seen } = await visit({ width: 390, height: 844 }, 3);
  assert.equal(cls, 0);
  assert.equal(images.length, 1, images.join('\n'));
  // 390 px at 3x wants 1170 pixels: the 1600 px WebP, not the 2400 px original.
  assert.match(images[0], /^\/p0001\/photo\.1600w\.[0-9a-f]{16}\.webp$/);
  assert.deepEqual(seen.errors, []);
  assert.deepEqual(seen.csp, []);
});

test('a phone at 1x downloads the smallest variant', async () => {
  const { cls, images } = await visit({ width: 390, height: 844 }, 1);
  assert.equal(cls, 0);
  assert.deepEqual(images.length, 1, images.join('\n'));
  assert.match(images[0], /^\/p0001\/photo\.480w\.[0-9a-f]{16}\.webp$/);
});

test('a desktop downloads a wider variant, and the page does not shift', async () => {
  const { cls, images } = await visit({ width: 1366, height: 900 }, 1);
  assert.equal(cls, 0);
  assert.equal(images.length, 1, images.join('\n'));
  assert.match(images[0], /^\/p0001\/photo\.(960|1600)w\.[0-9a-f]{16}\.webp$/);
});
