#!/usr/bin/env node
// A static server for the browser example, on 127.0.0.1 only: this folder at /, onnxruntime-web's
// dist/ folder at /ort/, and extra files at fixed paths (e.g. a model and a video elsewhere on
// disk). Byte ranges are supported because <video> seeks with them. POSTs to /result are handed to
// onResult (the automated test reads the page's result that way).
//
//   node examples/browser/serve.mjs [--port 8080] [--model FILE] [--video FILE]
import { createServer } from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, resolve, sep, basename } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm',
  '.json': 'application/json', '.onnx': 'application/octet-stream', '.webm': 'video/webm', '.mp4': 'video/mp4',
};

/** onnxruntime-web's dist/ folder from the installed package. */
export function ortDist() {
  return dirname(createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
}

/** The file a URL path names, or null: only inside `root` (no `..` escapes) or one of `files`. */
function lookup(path, o) {
  if (o.files?.[path]) return o.files[path];
  const [base, rest] = path.startsWith('/ort/') ? [o.ort, path.slice(5)] : [o.root, path.slice(1) || 'index.html'];
  const file = resolve(base, rest);
  return file.startsWith(base + sep) && existsSync(file) && statSync(file).isFile() ? file : null;
}

function send(req, res, file) {
  const size = statSync(file).size;
  const headers = { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'accept-ranges': 'bytes', 'cache-control': 'no-store' };
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
  if (range && (range[1] || range[2])) {
    const start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
    const end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    if (start > end || start >= size) {
      res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
      return;
    }
    res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': end - start + 1 });
    createReadStream(file, { start, end }).pipe(res);
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': size });
  createReadStream(file).pipe(res);
}

/**
 * Starts the server; resolves to { url, requests (each 'METHOD /path' served), close }. Options: root (default this folder), ort (default
 * the installed dist/), files ({ '/model.onnx': '/path/m.onnx' }), port (0: any free one), onResult.
 */
export function serve(options = {}) {
  const o = { root: HERE, ort: ortDist(), port: 0, ...options };
  const requests = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    requests.push(`${req.method} ${path}`);
    if (req.method === 'POST' && path === '/result') {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d) => { body += d; });
      req.on('end', () => {
        res.writeHead(204).end();
        o.onResult?.(body);
      });
      return;
    }
    const file = req.method === 'GET' || req.method === 'HEAD' ? lookup(path, o) : null;
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}\n`);
      return;
    }
    send(req, res, file);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(o.port, '127.0.0.1', () => {
      const { port } = server.address();
      ok({ url: `http://127.0.0.1:${port}/`, requests, close: () => new Promise((done) => { server.closeAllConnections(); server.close(() => done()); }) });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
  const files = {};
  const query = new URLSearchParams();
  for (const kind of ['model', 'video']) {
    const f = arg(`--${kind}`);
    if (!f) continue;
    if (!existsSync(f)) {
      console.error(`serve.mjs: --${kind} ${f}: no such file`);
      process.exit(2);
    }
    files[`/${basename(f)}`] = resolve(f);
    query.set(kind, basename(f));
  }
  const { url } = await serve({ files, port: Number(arg('--port') ?? 8080), onResult: (r) => console.log(r) });
  console.log(`open ${url}${query.size ? `?${query}` : ''}  (Ctrl-C stops)`);
}
