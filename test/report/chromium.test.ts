// The report renders in a real browser: its inline script runs, finds every chart laid out and every
// clip frame decoded, starts the animations, and the screenshot is not blank.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderReport } from '../../src/report/index.js';
import { chromiumBinary, runChromium } from '../helpers/chromium.js';
import { runPython, tempDir, torchAvailable } from '../helpers/python.js';
import { makeFixture, FIXTURE_CHARTS } from './fixtures.js';

test('the report renders in headless Chromium', async (t) => {
  const bin = chromiumBinary();
  if (!bin) return t.skip('chromium not installed (scripts/setup.sh installs it): skipping the browser check');
  const root = tempDir('cvrl-report-browser-');
  const fx = await makeFixture(root);
  const r = await renderReport({ runDirs: [fx.pre, fx.lin, fx.ret, fx.demo], samples: 2 });
  const page = join(root, 'report.html');
  writeFileSync(page, r.html);
  const url = pathToFileURL(page).href;

  const dom = await runChromium(bin, ['--virtual-time-budget=3000', '--dump-dom', url]);
  assert.ok(!dom.timedOut, `chromium hung; stderr:\n${dom.stderr.slice(-2000)}`);
  assert.equal(dom.code, 0, dom.stderr.slice(-2000));
  const bodyTag = dom.stdout.match(/<body[^>]*>/)?.[0] ?? '';
  assert.match(bodyTag, /data-rendered="ok"/, `the page script did not report ok: ${bodyTag}`);
  assert.match(bodyTag, new RegExp(`data-charts-found="${FIXTURE_CHARTS}"`));
  assert.match(bodyTag, /data-frames-decoded="32"/);
  // Each clip is playing: the script marked it and shows exactly one frame.
  const clips = [...dom.stdout.matchAll(/<div class="clip playing">(.*?)<\/div>/g)];
  assert.equal(clips.length, 2);
  for (const c of clips) assert.equal((c[1].match(/class="on"/g) ?? []).length, 1);

  const shot = join(root, 'shot.png');
  const s = await runChromium(bin, ['--hide-scrollbars', '--window-size=1100,2600', '--virtual-time-budget=1000', `--screenshot=${shot}`, url]);
  assert.ok(!s.timedOut && existsSync(shot), `no screenshot; stderr:\n${s.stderr.slice(-2000)}`);
  assert.ok(statSync(shot).size > 20_000, `screenshot only ${statSync(shot).size} bytes`);
  await t.test('the screenshot is not blank (decoded by torchvision)', (st) => {
    if (!torchAvailable()) return st.skip('python3-torch not installed');
    const stats = runPython(`
from torchvision.io import read_file, decode_png
img = decode_png(read_file(${JSON.stringify(shot)}))[:3]
flat = img.reshape(3, -1).T.contiguous()
colours = torch.unique(flat[:, 0].long() * 65536 + flat[:, 1].long() * 256 + flat[:, 2].long()).numel()
nonwhite = (flat.min(1).values < 200).float().mean().item()
print(img.shape[1], img.shape[2], colours, nonwhite)
`, root).trim().split(' ').map(Number);
    const [h, w, colours, nonWhite] = stats;
    assert.deepEqual([h, w], [2600, 1100]);
    assert.ok(colours > 200, `only ${colours} distinct colours: blank page?`);
    assert.ok(nonWhite > 0.005, `only ${(100 * nonWhite).toFixed(2)}% of pixels are not near-white`);
  });
});
