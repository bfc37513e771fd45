// AVA keyframes and their loader: clip start, pixel boxes and multi-hot targets; videos without a
// file, corrupt files and keyframes past the end are skipped and counted with file:line messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { liveTensorCount, tidy } from '../../../src/torch/index.js';
import { decodeClips } from '../../../src/video/io.js';
import { normalizeClip } from '../../../src/video/augment.js';
import { keyframeClipStart } from '../../../src/eval/detection/ava-clips.js';
import { openAvaKeyframes, multiHot } from '../../../src/eval/detection/ava-keyframes.js';
import { KeyframeLoader, type KeyframeBatch } from '../../../src/eval/detection/ava-loader.js';
import { makeVideo } from '../../helpers/videos.js';
import { tempDir } from '../../helpers/python.js';

const root = tempDir('cvrl-ava-kf-');
const videos = join(root, 'videos');
const f = (name: string, text: string) => {
  writeFileSync(join(root, name), text);
  return join(root, name);
};
// Classes in file order 5, 2, 9: target column j is that order, not the ids' order.
const map = f('map.pbtxt', 'item { name: "e" id: 5 }\nitem { name: "b" id: 2 }\nitem { name: "i" id: 9 }\n');

async function setup(): Promise<void> {
  mkdirSync(videos, { recursive: true });
  // 60 frames at 10 fps (6 s), every frame different.
  await makeVideo(videos, 'v1.mp4', { frames: 60, height: 48, width: 64, fps: 10 });
  writeFileSync(join(videos, 'bad.mp4'), 'not a video at all');
}

test('keyframes: ground-truth boxes with labels in label-map order; unknown videos and exclusions skipped with counts and file:line', async () => {
  await setup();
  const ann = f('gt.csv', [
    'v1,0002,0.25,0.5,0.75,1.0,2,0', 'v1,0002,0.25,0.5,0.75,1.0,9,0', 'v1,0002,0.25,0.5,0.75,1.0,7,0', // 7 is not in the map
    'v1,0002,0.0,0.0,0.5,0.5,5,1',
    'ghost,0002,0.1,0.1,0.2,0.2,5,0', 'ghost,0003,0.1,0.1,0.2,0.2,5,0',
    'v1,0003,0.1,0.1,0.2,0.2,5,0',
    '',
  ].join('\n'));
  const messages: string[] = [];
  const set = await openAvaKeyframes({ videos, annotations: ann, labelMap: map, exclusions: f('ex.csv', 'v1,0003\n'), onSkip: (m) => messages.push(m) });
  assert.deepEqual(set.classes, [5, 2, 9]);
  assert.equal(set.boxSource, 'ground-truth');
  assert.deepEqual(set.keyframes.map((k) => [k.videoId, k.timestamp, k.boxes.map((b) => b.labels)]), [['v1', 2, [[2, 9], [5]]]]);
  assert.equal(set.keyframes[0].path, join(videos, 'v1.mp4'));
  assert.deepEqual(set.skipped, { missingVideos: 1, missingVideoKeyframes: 2, excludedKeyframes: 1, lowScoreBoxes: 0 });
  assert.deepEqual(messages, [`${ann}:5: no video file for video_id 'ghost' in ${videos}; its 2 keyframe(s) are skipped`]);
  assert.deepEqual([...multiHot(set.keyframes[0].boxes, set.classes)], [0, 1, 1, 1, 0, 0]);
  // Person boxes replace the ground truth: low scores dropped, unannotated videos ignored.
  const boxes = f('boxes.csv', 'v1,0002,0.2,0.5,0.7,1.0,,0.95\nv1,0002,0.0,0.0,0.1,0.1,,0.3\nother,0002,0,0,1,1,,0.99\n');
  const test = await openAvaKeyframes({ videos, annotations: ann, labelMap: map, personBoxes: boxes, onSkip: () => undefined });
  assert.equal(test.boxSource, 'person-boxes');
  assert.deepEqual(test.keyframes.map((k) => k.boxes), [[{ x1: 0.2, y1: 0.5, x2: 0.7, y2: 1, labels: [], score: 0.95 }]]);
  assert.equal(test.skipped.lowScoreBoxes, 1);
  assert.equal((await openAvaKeyframes({ videos, annotations: ann, labelMap: map, personBoxes: boxes, minBoxScore: 0.2, onSkip: () => undefined })).keyframes[0].boxes.length, 2);
});

test('malformed rows and missing folders are errors naming the file and line', async () => {
  await setup();
  const bad = f('bad.csv', 'v1,0002,0.25,0.5,0.75,1.0,2,0\n\nv1,0002,0.25,0.5,0.75,1.0,2\n');
  await assert.rejects(openAvaKeyframes({ videos, annotations: bad, labelMap: map }), { message: `${bad}:3: expected 8 columns (video_id,timestamp,x1,y1,x2,y2,action_id,person_id), got 7` });
  const ok = f('ok.csv', 'v1,0002,0.25,0.5,0.75,1.0,2,0\n');
  const boxes = f('badboxes.csv', 'v1,0002,0.2,0.5,0.7,1.0,,0.95\nv1,0002,0.2,0.5,0.7,1.5,,0.95\n');
  await assert.rejects(openAvaKeyframes({ videos, annotations: ok, labelMap: map, personBoxes: boxes }), { message: `${boxes}:2: box 0.2,0.5,0.7,1.5 is not normalised to [0, 1]` });
  const ex = f('badex.csv', 'v1,0002,extra\n');
  await assert.rejects(openAvaKeyframes({ videos, annotations: ok, labelMap: map, exclusions: ex }), { message: `${ex}:1: expected 2 columns (video_id,timestamp), got 3` });
  await assert.rejects(openAvaKeyframes({ videos: join(root, 'nowhere'), annotations: ok, labelMap: map }), /videos folder not found: .*nowhere/);
});

async function batches(loader: KeyframeLoader): Promise<KeyframeBatch[]> {
  const out: KeyframeBatch[] = [];
  for await (const b of loader) out.push(b);
  return out;
}

test('the loader centres clips on keyframes, gives pixel boxes of the resized clip and multi-hot targets', async () => {
  await setup();
  const ann = f('gt2.csv', 'v1,0002,0.25,0.5,0.75,1.0,2,0\nv1,0002,0.25,0.5,0.75,1.0,9,0\nv1,0002,0.0,0.0,0.5,0.5,5,1\nv1,0005,0.5,0.25,1.0,0.75,9,0\n');
  const set = await openAvaKeyframes({ videos, annotations: ann, labelMap: map });
  const before = liveTensorCount();
  const clip = { frames: 4, stride: 3, size: 32 };
  const [b] = await batches(new KeyframeLoader(set, { ...clip, batchSize: 2 }));
  assert.deepEqual(b.clips.shape, [2, 3, 4, 32, 32]);
  assert.deepEqual(b.keyframes.map((k) => k.timestamp), [2, 5]);
  // Keyframe 2 s = frame 20: frames 14, 17, 20, 23 (the keyframe is clip frame T/2). 5 s: 44 ... 53.
  const starts = [keyframeClipStart(2, 10, 4, 3, 60), keyframeClipStart(5, 10, 4, 3, 60)];
  assert.deepEqual(starts, [14, 44]);
  const direct = await decodeClips(join(videos, 'v1.mp4'), { starts, frames: 4, stride: 3, size: { height: 32, width: 32 } });
  const diff = tidy(() => {
    const ref = [0, 1].map((i) => normalizeClip(direct.frames.select(0, i).permute([0, 3, 1, 2]).float().div(255)));
    return Math.max(...ref.map((r, i) => r.sub(b.clips.select(0, i)).abs().amax().item()));
  });
  direct.frames.dispose();
  assert.ok(diff < 1e-5, `clips equal a direct decode at the expected starts (max diff ${diff})`);
  assert.deepEqual(b.boxes.toArray(), [0, 8, 16, 24, 32, 0, 0, 0, 16, 16, 1, 16, 8, 32, 24]);
  assert.deepEqual(b.targets.toArray(), [0, 1, 1, 1, 0, 0, 0, 0, 1]);
  b.dispose();
  assert.equal(liveTensorCount(), before, 'no tensor left behind');
});

test('corrupt videos and keyframes past the end are skipped, counted and reported once', async () => {
  await setup();
  const ann = f('gt3.csv', 'bad,0001,0.1,0.1,0.5,0.5,5,0\nv1,0001,0.1,0.1,0.5,0.5,5,0\nbad,0002,0.1,0.1,0.5,0.5,2,0\nv1,0009,0.1,0.1,0.5,0.5,2,0\nv1,0004,0.1,0.1,0.5,0.5,9,0\n');
  const set = await openAvaKeyframes({ videos, annotations: ann, labelMap: map });
  const messages: string[] = [];
  const loader = new KeyframeLoader(set, { frames: 2, stride: 2, size: 16, batchSize: 2, onSkip: (m) => messages.push(m) });
  for (let epoch = 0; epoch < 2; epoch++) {
    const got = await batches(new KeyframeLoader(set, { ...loader.o, epoch }, loader.cache));
    assert.deepEqual(got.map((b) => b.keyframes.map((k) => `${k.videoId},${k.timestamp}`)), [['v1,1'], ['v1,4']]);
    assert.deepEqual(got.map((b) => b.clips.size(0)), [1, 1]);
    got.forEach((b) => b.dispose());
  }
  assert.deepEqual(loader.cache.stats, { badVideos: 1, skippedKeyframes: 3 });
  assert.equal(messages.length, 2, messages.join('\n'));
  assert.match(messages[0], new RegExp(`^skipping unreadable video ${join(videos, 'bad.mp4')} \\(keyframe row ${ann}:1\\): `));
  assert.equal(messages[1], `${ann}:4: keyframe v1,9 skipped: timestampSec 9 is frame 90, past the video's 60 frames at 10 fps (${join(videos, 'v1.mp4')})`);
});
