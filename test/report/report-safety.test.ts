// The report page's CSP allows its own script only (by hash); hostile embeddings indexes cost a warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderPage } from '../../src/report/html.js';
import { readEmbeddings } from '../../src/report/load.js';
import { tempDir } from '../helpers/python.js';
import { writeEmbeddings } from './fixtures.js';

test("the CSP allows the inline script by its sha256, not 'unsafe-inline', and forbids base and form targets", () => {
  const { html } = renderPage({ title: 't', runs: [], embeddings: [], clips: [], notes: [] });
  const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)![1];
  const script = /<script>([\s\S]*)<\/script>/.exec(html)![1];
  const directive = (name: string) => csp.split(';').map((s) => s.trim()).find((s) => s.startsWith(`${name} `));
  assert.equal(directive('script-src'), `script-src 'sha256-${createHash('sha256').update(script).digest('base64')}'`);
  assert.equal(directive('base-uri'), "base-uri 'none'");
  assert.equal(directive('form-action'), "form-action 'none'");
  assert.ok(!/script-src[^;]*unsafe-inline/.test(csp));
});

test('an embeddings label of 1e9 is a warning, not a class list of 1e9 entries', () => {
  const dir = tempDir('cvrl-report-safety-');
  writeEmbeddings(dir, 4, 3);
  const rows = [0, 1, 1e9, 2].map((label, i) => JSON.stringify({ path: `v${i}.mp4`, label }));
  writeFileSync(join(dir, 'embeddings.jsonl'), rows.join('\n') + '\n');
  const warnings: string[] = [];
  const e = readEmbeddings(join(dir, 'embeddings.safetensors'), warnings);
  assert.equal(e.classes.length, 3);
  assert.deepEqual(e.labels, [0, 1, -1, 2]);
  assert.ok(warnings.some((w) => /row 2/.test(w) && /1000000000/.test(w)), warnings.join(' | '));
});
