// The synthetic AVA set: its files parse with the AVA readers, labels follow the motion, keyframes
// sit at 1 fps, person boxes match the ground truth, videos show the people where the boxes say,
// and the set is a pure function of the seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { synthesizeAva, avaSynthVideo, AVA_SYNTH_ACTIONS } from '../../../src/video/synth-ava.js';
import { decodeClips, probeVideo } from '../../../src/video/io.js';
import { readAvaAnnotations, readAvaExclusions, readAvaLabelMap, readAvaPersonBoxes, frameKey, type AvaGroundTruthBox } from '../../../src/eval/detection/ava-csv.js';
import { boxIou } from '../../../src/eval/detection/ava-map.js';
import { registerSynth } from '../../../src/cli/synth.js';
import { tempDir } from '../../helpers/python.js';

const small = { videos: 5, valVideos: 2, seconds: 4, width: 64, height: 48, fps: 10 };

test('synthetic AVA files parse with the AVA readers; labels are in the map; keyframes at 1 fps; splits are disjoint', async () => {
  const out = tempDir('cvrl-synth-ava-');
  const r = await synthesizeAva({ out, seed: 3, ...small });
  const map = await readAvaLabelMap(r.labelMap);
  assert.deepEqual([...map], AVA_SYNTH_ACTIONS.map((n, i) => [i + 1, n]));
  const train = await readAvaAnnotations(r.train), val = await readAvaAnnotations(r.val);
  const videosOf = (b: AvaGroundTruthBox[]) => new Set(b.map((x) => x.videoId));
  assert.equal(videosOf(train).size, 3);
  assert.equal(videosOf(val).size, 2);
  assert.ok([...videosOf(val)].every((v) => !videosOf(train).has(v)), 'train and val share no video');
  assert.deepEqual(readdirSync(r.videos).sort(), ['vid000.mp4', 'vid001.mp4', 'vid002.mp4', 'vid003.mp4', 'vid004.mp4']);
  for (const b of [...train, ...val]) {
    assert.ok([b.x1, b.y1, b.x2, b.y2].every((v) => v >= 0 && v <= 1) && b.x1 < b.x2 && b.y1 < b.y2, `box ${JSON.stringify(b)}`);
    assert.ok(b.labels.every((l) => map.has(l)));
    // Exactly one of move left / move right / stand still, plus pulse or not.
    assert.equal(b.labels.filter((l) => l <= 3).length, 1, `labels ${b.labels}`);
    assert.ok(b.labels.length <= 2);
  }
  assert.ok([...train, ...val].some((b) => b.labels.length === 2), 'some person carries two labels');
  for (const v of [...videosOf(train), ...videosOf(val)]) {
    const stamps = new Set([...train, ...val].filter((b) => b.videoId === v).map((b) => b.timestamp));
    assert.deepEqual([...stamps].sort(), [1, 2, 3], `${v}: one keyframe per second, first and last second left out`);
    const people = new Set([...train, ...val].filter((b) => b.videoId === v).map((b) => b.personId)).size;
    assert.ok(people === 2 || people === 3, `${v}: ${people} people`);
  }
  const excluded = await readAvaExclusions(r.exclusions);
  assert.ok(excluded.size >= 1 && [...excluded].every((k) => val.some((b) => frameKey(b.videoId, b.timestamp) === k)), 'exclusions name validation keyframes');
  const boxes = await readAvaPersonBoxes(r.personBoxes);
  for (const g of val) {
    const best = boxes.filter((p) => p.videoId === g.videoId && p.timestamp === g.timestamp).sort((a, b) => boxIou(b, g) - boxIou(a, g))[0];
    assert.ok(boxIou(best, g) > 0.6 && best.score >= 0.9, `person box for ${JSON.stringify(g)}`);
  }
  assert.ok(boxes.some((p) => p.score < 0.9), 'a few low-scoring false positives');
  assert.ok(boxes.every((p) => videosOf(val).has(p.videoId)), 'person boxes are for validation videos');
});

/** Mass (brightness above the background) and its mean x, in a horizontal band of frame f of clip [F, H, W, 3]. */
function bandMass(rgb: number[], f: number, W: number, H: number, y1: number, y2: number): { mass: number; x: number } {
  let mass = 0, mx = 0;
  for (let y = Math.max(0, Math.floor(y1 * H)); y < Math.min(H, Math.ceil(y2 * H)); y++) {
    for (let x = 0; x < W; x++) {
      const i = ((f * H + y) * W + x) * 3;
      const m = Math.max(0, Math.max(rgb[i], rgb[i + 1], rgb[i + 2]) - 100);
      mass += m;
      mx += m * (x + 0.5);
    }
  }
  return { mass, x: mx / mass / W };
}

test('the videos show what the labels say: around each keyframe, movers move their way, still people stay, pulsing people change size', async () => {
  const o = { videos: 4, valVideos: 1, seconds: 5, width: 128, height: 96, fps: 10, noise: 0 };
  const r = await synthesizeAva({ out: tempDir('cvrl-synth-ava-'), seed: 5, ...o });
  const boxes = await readAvaAnnotations(r.train);
  const seen = new Set<number>();
  for (const v of ['vid000', 'vid001', 'vid002']) {
    const file = join(r.videos, `${v}.mp4`);
    const info = await probeVideo(file);
    assert.equal(info.frames, o.seconds * o.fps);
    assert.equal(info.width, o.width);
    for (const s of [1, 2, 3, 4]) {
      // Frames 0.3 s before and after the keyframe (frame s * fps), inside the keyframe's action.
      const d = await decodeClips(file, { starts: [s * o.fps - 3], frames: 2, stride: 6 });
      const rgb = d.frames.toArray();
      d.frames.dispose();
      for (const b of boxes.filter((x) => x.videoId === v && x.timestamp === s)) {
        const before = bandMass(rgb, 0, o.width, o.height, b.y1 - 0.03, b.y2 + 0.03), after = bandMass(rgb, 1, o.width, o.height, b.y1 - 0.03, b.y2 + 0.03);
        const dx = after.x - before.x, ratio = Math.max(after.mass, before.mass) / Math.min(after.mass, before.mass);
        const what = `${v} t=${s} person ${b.personId} labels ${b.labels}: dx ${dx.toFixed(3)}, mass ratio ${ratio.toFixed(2)}`;
        const motion = b.labels.find((l) => l <= 3)!;
        seen.add(motion);
        if (motion === 1) assert.ok(dx < -0.05, what);
        else if (motion === 2) assert.ok(dx > 0.05, what);
        else assert.ok(Math.abs(dx) < 0.01, what);
        if (b.labels.includes(4)) seen.add(4);
        assert.ok(b.labels.includes(4) ? ratio > 1.5 : ratio < 1.15, what);
      }
    }
  }
  assert.deepEqual([...seen].sort(), [1, 2, 3, 4], 'every action occurs');
});

test('cvrl synth --format ava is deterministic per seed; another seed gives another set', async (t) => {
  t.mock.method(console, 'log', () => undefined);
  const run = async (seed: number) => {
    const out = tempDir('cvrl-synth-ava-');
    const program = new Command('cvrl').exitOverride();
    registerSynth(program);
    await program.parseAsync(['node', 'cvrl', 'synth', '--format', 'ava', '--out', out, '--videos', '3', '--seconds', '3', '--width', '48', '--height', '32', '--fps', '8', '--seed', String(seed)]);
    const files = ['train.csv', 'val.csv', 'val_person_boxes.csv', 'val_excluded_timestamps.csv', 'action_list.pbtxt'];
    return { text: files.map((f) => readFileSync(join(out, 'annotations', f), 'utf8')), video: readFileSync(join(out, 'videos', 'vid000.mp4')) };
  };
  const a = await run(7), b = await run(7), c = await run(8);
  assert.deepEqual(a.text, b.text);
  assert.notDeepEqual(a.text[0], c.text[0]);
  assert.ok(a.video.equals(b.video), 'same seed, same video bytes');
  assert.ok(!a.video.equals(c.video), 'another seed, another video');
  const o = { seconds: 3, width: 48, height: 32, fps: 8, noise: 3 };
  assert.ok(Buffer.from(avaSynthVideo(7, 0, o).rgb).equals(Buffer.from(avaSynthVideo(7, 0, o).rgb)));
  assert.ok(!Buffer.from(avaSynthVideo(7, 0, o).rgb).equals(Buffer.from(avaSynthVideo(8, 0, o).rgb)));
  await assert.rejects(synthesizeAva({ out: tempDir('cvrl-synth-ava-'), videos: 4, valVideos: 4 }), /valVideos must be an integer in \[1, 3\]/);
  await assert.rejects(synthesizeAva({ out: tempDir('cvrl-synth-ava-'), seconds: 2 }), /seconds must be an integer >= 3/);
});
