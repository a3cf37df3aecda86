// The test server itself: `_headers` parsed and applied by path, folders served from their
// index.html, and anything else answered with 404.html and status 404.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { matches, parseHeaders, serve } from './lib/server.mjs';

test('_headers rules are parsed in order with their headers', () => {
  const rules = parseHeaders('/*\n  X-A: 1\n  Content-Security-Policy: default-src \'none\'\n/a/\n  Cache-Control: no-cache\n');
  assert.deepEqual(rules, [
    { pattern: '/*', headers: [['X-A', '1'], ['Content-Security-Policy', "default-src 'none'"]] },
    { pattern: '/a/', headers: [['Cache-Control', 'no-cache']] },
  ]);
  assert.throws(() => parseHeaders('  X-A: 1\n'), /before any path/);
});

test('patterns match exact paths and splat prefixes', () => {
  assert.ok(matches('/*', '/x/y.css'));
  assert.ok(matches('/a/*', '/a/b'));
  assert.ok(!matches('/a/*', '/b/'));
  assert.ok(matches('/a/', '/a/'));
  assert.ok(!matches('/a/', '/a/b/'));
});

test('pages get their headers, folders their index.html, unknown paths the 404 page', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ancapex-server-'));
  fs.mkdirSync(path.join(root, 'a'));
  fs.writeFileSync(path.join(root, 'a', 'index.html'), '<p>a</p>');
  fs.writeFileSync(path.join(root, '404.html'), '<p>not here</p>');
  fs.writeFileSync(path.join(root, '_headers'), '/*\n  X-Frame-Options: DENY\n/a/\n  Cache-Control: public, max-age=0\n');
  const server = await serve(root);
  try {
    const a = await fetch(`${server.url}/a/`);
    assert.equal(a.status, 200);
    assert.equal(await a.text(), '<p>a</p>');
    assert.equal(a.headers.get('x-frame-options'), 'DENY');
    assert.equal(a.headers.get('cache-control'), 'public, max-age=0');
    assert.equal(a.headers.get('content-type'), 'text/html; charset=utf-8');
    const redirect = await fetch(`${server.url}/a`, { redirect: 'manual' });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get('location'), '/a/');
    const missing = await fetch(`${server.url}/nope/`);
    assert.equal(missing.status, 404);
    assert.equal(await missing.text(), '<p>not here</p>');
    assert.equal(missing.headers.get('x-frame-options'), 'DENY');
    const escape = await fetch(`${server.url}/..%2f..%2fetc/passwd`);
    assert.equal(escape.status, 404);
  } finally {
    await server.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
