// examples/browser: its preprocessing equals our eval transform exactly on the same frames, and the
// page, served locally and opened in headless Chromium, embeds a VP9 clip with onnxruntime-web as
// our own pipeline does (within what the two video decoders' colour conversion and scaling allow).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { join, resolve } from 'node:path';
import { fromTypedArray, noGrad, manualSeed, tidy, type Tensor } from '../../src/torch/index.js';
import { decodeClips, probeVideo, evalCrops, uniformClipStarts, KINETICS_NORM } from '../../src/video/index.js';
import { chromiumBinary, runChromium } from '../helpers/chromium.js';
import { tempDir } from '../helpers/python.js';
import { makeVideo } from '../helpers/videos.js';
import { tinyEncoder, exportTiny, maxAbsDiff } from '../helpers/onnx-models.js';

interface Preprocess {
  MEAN: number[];
  STD: number[];
  defaultShortSide(size: number): number;
  clipFrames(length: number, frames: number, stride: number): number[];
  resizedSize(w: number, h: number, shortSide: number): { width: number; height: number };
  centreCrop(w: number, h: number, size: number): { left: number; top: number };
  toClipTensor(rgba: Uint8ClampedArray[], size: number): { data: Float32Array; dims: number[] };
}
interface Server { url: string; requests: string[]; close(): Promise<void> }
type Serve = (o: { files: Record<string, string>; onResult: (body: string) => void }) => Promise<Server>;

const EXAMPLE = resolve('examples/browser');
const pre = (): Promise<Preprocess> => import(pathToFileURL(join(EXAMPLE, 'preprocess.js')).href);
const CLIP = { frames: 8, stride: 2, size: 32, fps: 25 };

/** Our eval pipeline on one clip: FFmpeg decode at the short side, centre crop, normalisation -> [1, 3, T, S, S]. */
async function ourClip(video: string, start: number): Promise<{ frames: Tensor; input: Tensor }> {
  const p = await pre();
  const r = await decodeClips(video, { starts: [start], frames: CLIP.frames, stride: CLIP.stride, size: { shortSide: p.defaultShortSide(CLIP.size) } });
  const frames = r.frames.select(0, 0);
  r.frames.dispose();
  return { frames, input: evalCrops(frames, CLIP.size, 1) };
}

test('the browser example preprocesses frames exactly as the eval pipeline does (same decoded frames)', async () => {
  const p = await pre();
  assert.deepEqual([p.MEAN, p.STD], [KINETICS_NORM.mean, KINETICS_NORM.std]);
  assert.equal(p.defaultShortSide(112), 128);
  const dir = tempDir('cvrl-browser-pre-');
  const video = await makeVideo(dir, 'clip.webm', { codec: 'vp9', frames: 40, height: 48, width: 64, fps: CLIP.fps });
  const L = (await probeVideo(video)).frames;
  const [start] = uniformClipStarts(L, CLIP, 1);
  assert.deepEqual(p.clipFrames(L, CLIP.frames, CLIP.stride), Array.from({ length: CLIP.frames }, (_, i) => start + i * CLIP.stride));
  assert.deepEqual(p.clipFrames(5, 4, 2), [0, 2, 4, 1], 'a short video wraps around as the loader does');
  const { frames, input } = await ourClip(video, start);
  const [T, H, W] = frames.shape;
  assert.deepEqual(p.resizedSize(64, 48, p.defaultShortSide(CLIP.size)), { width: W, height: H });
  const { left, top } = p.centreCrop(W, H, CLIP.size);
  // The page's canvas crops as RGBA: build the same from our frames.
  const rgb = frames.toTypedArray() as Uint8Array;
  const crops = Array.from({ length: T }, (_, t) => {
    const c = new Uint8ClampedArray(CLIP.size * CLIP.size * 4);
    for (let y = 0; y < CLIP.size; y++) for (let x = 0; x < CLIP.size; x++) {
      const src = ((t * H + top + y) * W + left + x) * 3, dst = (y * CLIP.size + x) * 4;
      c.set([rgb[src], rgb[src + 1], rgb[src + 2], 255], dst);
    }
    return c;
  });
  const page = p.toClipTensor(crops, CLIP.size);
  assert.deepEqual(page.dims, input.shape);
  assert.ok(maxAbsDiff(page.data, input) < 1e-6, `normalised clip max abs diff ${maxAbsDiff(page.data, input)}`);
  frames.dispose();
  input.dispose();
});

function decodeBase64(s: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** ||a - b|| / ||b||. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

test('the browser example embeds a video clip in headless Chromium with onnxruntime-web, matching our embedding', async (t) => {
  const bin = chromiumBinary();
  if (!bin) return t.skip('chromium not installed (scripts/setup.sh installs it): skipping the browser example');
  const p = await pre();
  const { serve } = (await import(pathToFileURL(join(EXAMPLE, 'serve.mjs')).href)) as { serve: Serve };
  manualSeed(7);
  const dir = tempDir('cvrl-browser-');
  const video = await makeVideo(dir, 'clip.webm', { codec: 'vp9', frames: 40, height: 48, width: 64, fps: CLIP.fps });
  const enc = tinyEncoder('r3d_18');
  const model = exportTiny(dir, 'r3d_18', enc, {}, 'model.onnx');

  let report!: (body: string) => void;
  const reported = new Promise<string>((ok) => { report = ok; });
  const server = await serve({ files: { '/model.onnx': model, '/clip.webm': video }, onResult: report });
  const stop = new AbortController();
  const q = new URLSearchParams({ model: 'model.onnx', video: 'clip.webm', frames: `${CLIP.frames}`, stride: `${CLIP.stride}`, size: `${CLIP.size}`, fps: `${CLIP.fps}`, run: '1', report: '/result' });
  // Offline: every host name but 127.0.0.1 fails to resolve, so the runtime must come from our server.
  const browser = runChromium(bin, ['--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1', `${server.url}?${q}`], 90_000, stop.signal);
  let body: string;
  try {
    body = await Promise.race([reported, browser.then((b) => {
      throw new Error(`chromium ended (code ${b.code}${b.timedOut ? ', timed out' : ''}) before the page reported; stderr:\n${b.stderr.slice(-3000)}`);
    })]);
  } finally {
    stop.abort();
    await browser;
    await server.close();
  }
  const r = JSON.parse(body);
  for (const f of ['/ort/ort.wasm.min.mjs', '/ort/ort-wasm-simd-threaded.wasm', '/model.onnx', '/clip.webm']) assert.ok(server.requests.includes(`GET ${f}`), `${f} not requested: ${server.requests.join(', ')}`);
  assert.equal(r.ok, true, `the page failed: ${r.error}`);
  assert.deepEqual(r.dims, [1, enc.featureDim]);
  assert.equal(r.embedding.length, enc.featureDim);
  assert.ok(Math.abs(r.norm - Math.hypot(...r.embedding)) < 1e-9);
  const L = (await probeVideo(video)).frames;
  assert.equal(r.videoFrames, L, 'the page counted the frames from duration x fps');
  const [start] = uniformClipStarts(L, CLIP, 1);
  assert.deepEqual(r.frames, Array.from({ length: CLIP.frames }, (_, i) => start + i * CLIP.stride));

  // 1. onnxruntime-web in Chromium on the page's own input gives our forward's features.
  const pageInput = fromTypedArray(decodeBase64(r.input), r.inputDims);
  const exact = maxAbsDiff(r.embedding, noGrad(() => enc.forward(pageInput)));
  t.diagnostic(`page features vs our forward on the page's input: max abs diff ${exact.toExponential(2)}`);
  assert.ok(exact < 1e-4, `max abs diff ${exact}`);

  // 2. The page's frames vs ours (FFmpeg): the same video frames, up to colour conversion and scaling.
  const ours = await ourClip(video, start);
  const other = await ourClip(video, 0);
  const pix = tidy(() => pageInput.sub(ours.input).abs().mul(KINETICS_NORM.std[0] * 255));
  const [meanPix, maxPix] = [pix.mean().item(), pix.amax().item()];
  const framePix = tidy(() => other.input.sub(ours.input).abs().mul(KINETICS_NORM.std[0] * 255).mean().item());
  t.diagnostic(`page input vs ours, in 0-255 pixel units: mean abs diff ${meanPix.toFixed(2)}, max ${maxPix.toFixed(1)} (another clip of the video: mean ${framePix.toFixed(1)})`);
  const [fOurs, fOther] = noGrad(() => [enc.forward(ours.input), enc.forward(other.input)]);
  const err = relativeError(r.embedding, fOurs.toTypedArray() as Float32Array);
  const errOther = relativeError(fOther.toTypedArray() as Float32Array, fOurs.toTypedArray() as Float32Array);
  t.diagnostic(`embedding relative error ||page - ours|| / ||ours|| = ${err.toFixed(4)} (another clip: ${errOther.toFixed(4)})`);
  // Bounds: measured 1.7 grey levels, relative error 0.0008 against 0.028 for another clip. A random
  // tiny encoder's features share a large common part, so cosine similarity would exceed 0.999 even
  // for another clip; the error is therefore also bounded relative to another clip's.
  assert.ok(meanPix < 3, `page frames differ from ours by ${meanPix.toFixed(2)} grey levels on average`);
  assert.ok(err < 0.01, `embedding relative error ${err}`);
  assert.ok(err < errOther / 5, `the page's embedding (error ${err}) is not much closer to ours than another clip's (${errOther})`);
  for (const x of [pageInput, ours.frames, ours.input, other.frames, other.input, fOurs, fOther]) x.dispose();
});
