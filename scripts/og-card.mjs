// Draws the Ancapex site's social card, static/img/og-card.png (1200x630, what Open Graph readers
// show beside a shared link; site.toml's `extra.og_image` names it), from the lab's name, line and mark, in Chromium. Run it
// again when those change: node scripts/og-card.mjs (with tests/browser's packages installed).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '../tests/browser/node_modules/playwright-core/index.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(repo, 'static', 'img', 'og-card.png');
const html = `<!doctype html><html><body style="margin:0;width:1200px;height:630px;background:#0b0e11;color:#e9eef3;font-family:system-ui,sans-serif;display:flex;flex-direction:column;justify-content:center;padding:0 96px;box-sizing:border-box">
<svg viewBox="0 0 32 32" width="120" height="120"><path d="M9 25 16 7l7 18h-4l-3-8-3 8z" fill="#ffcc33"/></svg>
<div style="font-size:84px;font-weight:800;letter-spacing:-1px;margin-top:24px">Ancapex Research</div>
<div style="font-size:38px;color:#c5ced7;margin-top:18px;max-width:980px">Public, community-owned models. No artifacts, no claim.</div>
<div style="position:absolute;left:0;right:0;bottom:0;height:14px;background:#ffcc33"></div>
</body></html>`;
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1200, height: 630 } });
await page.setContent(html);
await page.screenshot({ path: out });
await browser.close();
console.log(out);
