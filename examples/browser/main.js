// Embeds one clip of a <video> with an exported cvrl encoder in onnxruntime-web (WebAssembly):
// seek to each frame of the clip, draw it to a canvas at the eval loader's short side, take the
// centre crop, normalise, run the model and show the embedding. URL parameters prefill the form
// (model, video, frames, stride, size, shortSide, fps); run=1 starts at once, and report=PATH
// POSTs the result as JSON to PATH (the automated test uses both).
import * as ort from 'onnxruntime-web';
import { clipFrames, resizedSize, centreCrop, toClipTensor, defaultShortSide, norm } from './preprocess.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const status = (text) => { $('status').textContent = text; };

for (const k of ['model', 'video', 'frames', 'stride', 'size', 'shortSide', 'fps']) if (params.has(k)) $(k).value = params.get(k);
// Local files work too: object URLs in place of the text fields.
$('modelFile').addEventListener('change', (e) => { if (e.target.files[0]) $('model').value = URL.createObjectURL(e.target.files[0]); });
$('videoFile').addEventListener('change', (e) => { if (e.target.files[0]) $('video').value = URL.createObjectURL(e.target.files[0]); });

function settings() {
  const int = (id, min) => {
    const v = Number($(id).value);
    if (!Number.isInteger(v) || v < min) throw new Error(`${id} must be an integer >= ${min}, got '${$(id).value}'`);
    return v;
  };
  const size = int('size', 1);
  const fps = Number($('fps').value);
  if (!(fps > 0)) throw new Error(`fps must be positive, got '${$('fps').value}'`);
  return { model: $('model').value, video: $('video').value, frames: int('frames', 1), stride: int('stride', 1), size, shortSide: $('shortSide').value ? int('shortSide', size) : defaultShortSide(size), fps };
}

function once(target, ok, what) {
  return new Promise((resolve, reject) => {
    const onError = () => reject(new Error(`${what}: ${target.error?.message || 'the video cannot be read'}`));
    target.addEventListener(ok, () => { target.removeEventListener('error', onError); resolve(); }, { once: true });
    target.addEventListener('error', onError, { once: true });
  });
}

async function loadVideo(url) {
  const video = $('player');
  const ready = once(video, 'loadeddata', url);
  video.src = url;
  await ready;
  return video;
}

/** Draws frame `index` resized to the short side, returns its centre crop as RGBA. */
async function frameCrop(video, index, o, ctx) {
  const seeked = once(video, 'seeked', `seeking to frame ${index}`);
  // 'seeked' can fire before the new frame is presented (seen on a busy machine): also wait for
  // the frame itself where the browser reports it, or half a second where it reports nothing.
  const shown = 'requestVideoFrameCallback' in video
    ? new Promise((resolve) => { video.requestVideoFrameCallback(resolve); setTimeout(resolve, 500); })
    : Promise.resolve();
  // The middle of the frame's display interval, so that rounding cannot land on its neighbour.
  video.currentTime = (index + 0.5) / o.fps;
  await Promise.all([seeked, shown]);
  const { width, height } = ctx.canvas;
  ctx.drawImage(video, 0, 0, width, height);
  const { left, top } = centreCrop(width, height, o.size);
  return ctx.getImageData(left, top, o.size, o.size).data;
}

async function embed() {
  const o = settings();
  const t0 = performance.now();
  status('loading the model and the video');
  const [session, video] = await Promise.all([ort.InferenceSession.create(o.model, { executionProviders: ['wasm'] }), loadVideo(o.video)]);
  if (!session.inputNames.includes('clips')) throw new Error(`${o.model}: no input 'clips' (has ${session.inputNames.join(', ')}): not a cvrl export?`);
  const length = Math.round(video.duration * o.fps);
  const indices = clipFrames(length, o.frames, o.stride);
  const canvas = $('canvas');
  Object.assign(canvas, resizedSize(video.videoWidth, video.videoHeight, o.shortSide));
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.imageSmoothingQuality = 'high';
  const crops = [];
  for (const i of indices) {
    status(`reading frame ${i} (${crops.length + 1} of ${indices.length})`);
    crops.push(await frameCrop(video, i, o, ctx));
  }
  const input = toClipTensor(crops, o.size);
  status('running the encoder');
  const t1 = performance.now();
  const out = await session.run({ clips: new ort.Tensor('float32', input.data, input.dims) });
  const features = out.features;
  const embedding = Array.from(features.data);
  const result = {
    ok: true, dims: features.dims, embedding, norm: norm(embedding), frames: indices, videoFrames: length,
    videoSize: [video.videoWidth, video.videoHeight], inputDims: input.dims, input: base64(input.data),
    msTotal: performance.now() - t0, msModel: performance.now() - t1,
  };
  await session.release();
  return result;
}

function base64(f32) {
  const bytes = new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function show(r) {
  const v = r.embedding;
  $('output').textContent = r.ok
    ? `embedding [${r.dims.join(', ')}], L2 norm ${r.norm.toFixed(4)}\nframes ${r.frames.join(', ')} of ${r.videoFrames}\n` +
      `first values: ${v.slice(0, 8).map((x) => x.toFixed(4)).join(', ')}${v.length > 8 ? ', ...' : ''}\n` +
      `model ${r.msModel.toFixed(0)} ms, total ${r.msTotal.toFixed(0)} ms\n\n${JSON.stringify(v)}`
    : `error: ${r.error}`;
  status(r.ok ? 'done' : 'failed');
  document.body.dataset.result = r.ok ? 'ok' : 'error';
}

async function run() {
  $('run').disabled = true;
  let r;
  try {
    r = await embed();
  } catch (e) {
    r = { ok: false, error: String(e?.message ?? e) };
  }
  show(r);
  $('run').disabled = false;
  if (params.get('report')) await fetch(params.get('report'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(r) });
}

$('run').addEventListener('click', run);
if (params.get('run') === '1') run();
