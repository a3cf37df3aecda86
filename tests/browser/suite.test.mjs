// The browser suite, one node:test test per check, over the built site in ANCAPEX_SITE.
// ANCAPEX_EXPECT=pass (default): every check must pass (the real site).
// ANCAPEX_EXPECT=fail: every check must fail (the broken fixture: the self-test that proves
// each check can fail).
// ANCAPEX_PAGES=/,/manifesto/: only these pages (the fixture's broken ones) in the page pass.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CHECKS, Context } from './lib/checks.mjs';

const site = process.env.ANCAPEX_SITE;
const expect = process.env.ANCAPEX_EXPECT || 'pass';
if (!site || !fs.existsSync(path.join(site, 'index.html'))) {
  throw new Error(`ANCAPEX_SITE must name a built site (got ${site})`);
}
const only = process.env.ANCAPEX_CHECKS ? process.env.ANCAPEX_CHECKS.split(',') : Object.keys(CHECKS);
const ctx = new Context(site, {
  screenshots: expect === 'pass' ? process.env.ANCAPEX_SCREENSHOTS : undefined,
  // The broken fixture names the pages it broke; the others are the real site's, checked above.
  // One Lighthouse run shows the broken fixture's failures.
  lighthouseRuns: expect === 'pass' ? undefined : 1,
  only: process.env.ANCAPEX_PAGES ? process.env.ANCAPEX_PAGES.split(',') : undefined,
});
ctx.note = (line) => console.log(`# ${line}`);

before(() => ctx.start());
after(async () => {
  await ctx.stop();
  if (expect === 'pass' && process.env.ANCAPEX_FIGURES) {
    fs.writeFileSync(process.env.ANCAPEX_FIGURES, JSON.stringify(ctx.figures ?? {}, null, 2) + '\n');
  }
});

for (const name of only) {
  const check = CHECKS[name];
  if (!check) throw new Error(`no check named ${name}`);
  const title = expect === 'pass' ? `${name} passes on the real site` : `${name} fails on the broken fixture`;
  test(title, { timeout: 300_000 }, async () => {
    const failures = await check(ctx);
    if (expect === 'pass') {
      if (failures.length) {
        const shown = failures.slice(0, 40).join('\n  ');
        const more = failures.length > 40 ? `\n  ... and ${failures.length - 40} more` : '';
        assert.fail(`${name}: ${failures.length} failures\n  ${shown}${more}`);
      }
    } else {
      assert.ok(failures.length > 0, `${name} passed on the broken fixture, so it cannot catch what it checks`);
      const lines = failures.flatMap((f) => f.split('\n')).filter((l) => l.trim());
      for (const line of lines.slice(0, 6)) console.log(`# ${name} caught: ${line.trim().slice(0, 200)}`);
    }
  });
}
