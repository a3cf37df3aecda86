// A small static server for the browser tests: serves a built site from a folder on
// 127.0.0.1 (a free port) with the headers its `_headers` file gives (Netlify/Cloudflare
// Pages format: a path pattern, then indented `Name: value` lines), folder URLs served from
// their `index.html`, and `404.html` with status 404 for anything else. Every request is
// recorded so tests can check that no other host was asked for anything.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.xml': 'application/xml; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.jsonl': 'application/jsonl',
  // As `publish` sends them (src/policy/mod.rs `media_type`).
  '.md': 'text/markdown; charset=utf-8',
  '.cff': 'application/yaml; charset=utf-8',
  '.bib': 'text/x-bibtex; charset=utf-8',
};

/** Parses a `_headers` file into `[{pattern, headers: [[name, value]]}]`. */
export function parseHeaders(text) {
  const rules = [];
  let current = null;
  for (const raw of text.split('\n')) {
    if (!raw.trim() || raw.trim().startsWith('#')) continue;
    if (/^\s/.test(raw)) {
      if (!current) throw new Error(`_headers: header line before any path: ${raw}`);
      const i = raw.indexOf(':');
      if (i < 0) throw new Error(`_headers: not a header line: ${raw}`);
      current.headers.push([raw.slice(0, i).trim(), raw.slice(i + 1).trim()]);
    } else {
      current = { pattern: raw.trim(), headers: [] };
      rules.push(current);
    }
  }
  return rules;
}

/** Whether a `_headers` pattern (`/*`, `/a/*`, `/a/b.html`) matches a URL path. */
export function matches(pattern, urlPath) {
  if (pattern.endsWith('*')) return urlPath.startsWith(pattern.slice(0, -1));
  return pattern === urlPath;
}

/** Starts serving `root`; resolves to `{url, port, requests, close()}`. */
export async function serve(root) {
  const headersFile = path.join(root, '_headers');
  const rules = fs.existsSync(headersFile) ? parseHeaders(fs.readFileSync(headersFile, 'utf8')) : [];
  const requests = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    requests.push(url.pathname);
    let urlPath;
    try {
      urlPath = decodeURIComponent(url.pathname);
    } catch {
      urlPath = '/\0';
    }
    let file = path.join(root, path.normalize(urlPath));
    let status = 200;
    if (!file.startsWith(root) || urlPath.includes('\0')) {
      file = null;
    } else if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
      file = urlPath.endsWith('/') ? path.join(file, 'index.html') : null;
      if (file === null) {
        res.writeHead(301, { Location: `${url.pathname}/${url.search}` });
        res.end();
        return;
      }
    }
    if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      status = 404;
      file = path.join(root, '404.html');
      urlPath = '/404.html';
    }
    const headers = { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream' };
    for (const rule of rules) {
      if (matches(rule.pattern, url.pathname) || (status === 404 && matches(rule.pattern, urlPath))) {
        for (const [name, value] of rule.headers) headers[name] = value;
      }
    }
    if (!fs.existsSync(file)) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('not found\n');
      return;
    }
    const body = fs.readFileSync(file);
    headers['Content-Length'] = body.length;
    res.writeHead(status, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    // Stops listening and drops every connection, idle or not: a browser context that is still
    // open keeps sockets that `close` alone would wait on for ever.
    close: () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      }),
  };
}
