// AVA file readers (annotations, predictions, exclusions, label map) and `cvrl detect score` on small files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import {
  frameKey, parseAvaAnnotations, parseAvaExclusions, parseAvaLabelMap, parseAvaPersonBoxes, parseAvaPredictions,
  readAvaAnnotations, readAvaLabelMap, readAvaPredictions,
} from '../../../src/eval/detection/ava-csv.js';
import { registerDetect } from '../../../src/cli/detect.js';
import { tempDir } from '../../helpers/python.js';

test('annotation rows of the same box and person merge into one box with several labels', () => {
  const text = [
    '-5KQ66BBWC4,0902,0.077,0.151,0.283,0.811,80,1',
    '',
    '-5KQ66BBWC4,0902,0.077,0.151,0.283,0.811,9,1\r',
    '-5KQ66BBWC4,902,0.0770,0.151,0.283,0.811,12,1',
    '-5KQ66BBWC4,0902,0.077,0.151,0.283,0.811,9,1', // the same label again
    '-5KQ66BBWC4,0902,0.077,0.151,0.283,0.811,12,2', // another person in the same box
    '-5KQ66BBWC4,0903,0.332,0.194,0.505,0.93,17,0',
    '',
  ].join('\n');
  const boxes = parseAvaAnnotations(text, 'gt.csv');
  assert.deepEqual(boxes, [
    { videoId: '-5KQ66BBWC4', timestamp: 902, x1: 0.077, y1: 0.151, x2: 0.283, y2: 0.811, personId: 1, labels: [80, 9, 12], line: 1 },
    { videoId: '-5KQ66BBWC4', timestamp: 902, x1: 0.077, y1: 0.151, x2: 0.283, y2: 0.811, personId: 2, labels: [12], line: 6 },
    { videoId: '-5KQ66BBWC4', timestamp: 903, x1: 0.332, y1: 0.194, x2: 0.505, y2: 0.93, personId: 0, labels: [17], line: 7 },
  ]);
  assert.equal(frameKey('v', Number('0902')), frameKey('v', 902));
  // The label map's classes filter rows as they are read.
  assert.deepEqual(parseAvaAnnotations(text, 'gt.csv', { classes: new Set([12]) }).map((b) => b.labels), [[12], [12]]);
});

test('prediction rows carry a score; exclusions are frame keys', () => {
  const d = parseAvaPredictions('v1,0902,0,0,1,1,3,0.25\nv1,0902,0.1,0.2,0.3,0.4,5,1e-3\n', 'det.csv');
  assert.deepEqual(d, [
    { videoId: 'v1', timestamp: 902, x1: 0, y1: 0, x2: 1, y2: 1, label: 3, score: 0.25 },
    { videoId: 'v1', timestamp: 902, x1: 0.1, y1: 0.2, x2: 0.3, y2: 0.4, label: 5, score: 0.001 },
  ]);
  assert.deepEqual(parseAvaPredictions('v1,0902,0,0,1,1,3,0.25\nv1,0902,0,0,1,1,5,0.5\n', 'det.csv', { classes: new Set([5]) }).map((x) => x.label), [5]);
  assert.deepEqual([...parseAvaExclusions('v1,0902\n\nv2,1798\r\n')], ['v1,902', 'v2,1798']);
});

test('person boxes: an empty action column, a score, or no score (1); a box repeated per action keeps its best score', () => {
  const text = 'v1,0902,0.1,0.2,0.3,0.4,,0.95\nv1,0902,0.1,0.2,0.3,0.4,5,0.97\n\nv1,0903,0,0,1,1\nv1,0903,0.5,0.5,0.6,0.6,0.25\n';
  assert.deepEqual(parseAvaPersonBoxes(text, 'boxes.csv'), [
    { videoId: 'v1', timestamp: 902, x1: 0.1, y1: 0.2, x2: 0.3, y2: 0.4, score: 0.97, line: 1 },
    { videoId: 'v1', timestamp: 903, x1: 0, y1: 0, x2: 1, y2: 1, score: 1, line: 4 },
    { videoId: 'v1', timestamp: 903, x1: 0.5, y1: 0.5, x2: 0.6, y2: 0.6, score: 0.25, line: 5 },
  ]);
  const cases: [string, RegExp][] = [
    ['v1,0902,0.1,0.2,0.3,0.4,,0.9\nv1,0902,0.1,0.2,0.3\n', /^boxes\.csv:2: expected 6 or 7 or 8 columns \(video_id,timestamp,x1,y1,x2,y2\[,action_id\],score\), got 5$/],
    ['v1,0902,0.1,0.2,0.3,0.4,,high\n', /^boxes\.csv:1: score is not a number: 'high'$/],
    ['\n\nv1,0902,0.1,0.2,1.3,0.4,,0.5\n', /^boxes\.csv:3: box 0\.1,0\.2,1\.3,0\.4 is not normalised to \[0, 1\]$/],
    ['v1,9.5,0.1,0.2,0.3,0.4,,0.5\n', /^boxes\.csv:1: timestamp is not a non-negative integer: '9\.5'$/],
  ];
  for (const [t, message] of cases) assert.throws(() => parseAvaPersonBoxes(t, 'boxes.csv'), { message }, t);
});

test('label maps: items over several lines or one, label_id and label_type, comments', () => {
  const text = `# AVA v2.2 subset
item {
  name: "bend/bow (at the waist)"
  id: 1
}
item { name: "crouch/kneel" id: 3 }
label {
  name: 'say "hi" \\\\ wave'   # quotes and a backslash escaped
  label_id: 80
  label_type: PERSON_INTERACTION
}
item: {
  id: 4
  display_name: "dance"
  name: "dance"
}
`;
  assert.deepEqual([...parseAvaLabelMap(text, 'map.pbtxt')], [[1, 'bend/bow (at the waist)'], [3, 'crouch/kneel'], [80, 'say "hi" \\ wave'], [4, 'dance']]);
});

test('malformed rows fail with file:line', () => {
  const row = 'v1,0902,0.1,0.2,0.3,0.4,5,1';
  const cases: [string, RegExp][] = [
    ['video_id,timestamp,x1,y1,x2,y2,action_id,person_id', /^gt\.csv:1: timestamp is not a non-negative integer: 'timestamp'$/],
    [`${row}\n\nv1,0902,0.1,0.2,0.3,0.4,5`, /^gt\.csv:3: expected 8 columns \(video_id,timestamp,x1,y1,x2,y2,action_id,person_id\), got 7$/],
    [`${row}\n${row},9`, /^gt\.csv:2: expected 8 columns/],
    ['v1,0902,0.1,abc,0.3,0.4,5,1', /^gt\.csv:1: y1 is not a number: 'abc'$/],
    ['v1,0902,0.1,,0.3,0.4,5,1', /^gt\.csv:1: y1 is not a number: ''$/],
    ['v1,0902,0.1,0x1,0.3,0.4,5,1', /^gt\.csv:1: y1 is not a number/],
    ['v1,0902,0.1,0.2,1.3,0.4,5,1', /^gt\.csv:1: box 0\.1,0\.2,1\.3,0\.4 is not normalised to \[0, 1\]$/],
    ['v1,0902,0.1,0.2,0.3,-0.4,5,1', /^gt\.csv:1: box .* is not normalised/],
    ['v1,0902,0.5,0.2,0.3,0.4,5,1', /^gt\.csv:1: box 0\.5,0\.2,0\.3,0\.4 has x1 > x2 or y1 > y2$/],
    ['v1,0902,0.1,0.5,0.3,0.4,5,1', /^gt\.csv:1: box .* has x1 > x2/],
    ['v1,09.5,0.1,0.2,0.3,0.4,5,1', /^gt\.csv:1: timestamp is not a non-negative integer: '09\.5'$/],
    ['v1,0902,0.1,0.2,0.3,0.4,five,1', /^gt\.csv:1: action_id is not a non-negative integer/],
    ['v1,0902,0.1,0.2,0.3,0.4,5,-1', /^gt\.csv:1: person_id is not a non-negative integer/],
    [',0902,0.1,0.2,0.3,0.4,5,1', /^gt\.csv:1: empty video_id$/],
  ];
  for (const [text, message] of cases) assert.throws(() => parseAvaAnnotations(text, 'gt.csv'), { message }, text);
  assert.throws(() => parseAvaPredictions('v1,0902,0.1,0.2,0.3,0.4,5,high', 'det.csv'), { message: /^det\.csv:1: score is not a number: 'high'$/ });
  assert.throws(() => parseAvaPredictions('v1,0902,0.1,0.2,0.3,0.4,5,NaN', 'det.csv'), { message: /^det\.csv:1: score is not a number/ });
  assert.throws(() => parseAvaExclusions('v1,0902\nv1,0903,x', 'ex.csv'), { message: /^ex\.csv:2: expected 2 columns \(video_id,timestamp\), got 3$/ });
});

test('malformed label maps fail with file:line', () => {
  const cases: [string, RegExp][] = [
    ['item {\n  name: "a"\n  id: 1\n}\nitem {\n  name: "b"\n  id: 1\n}\n', /^m\.pbtxt:7: duplicate id 1 \(first at line 3\)$/],
    ['item {\n  name: "a"\n  idx: 1\n}', /^m\.pbtxt:3: unknown field 'idx'/],
    ['item {\n  name: "a"\n  id: one\n}', /^m\.pbtxt:3: id must be a non-negative integer, got 'one'$/],
    ['item {\n  name: "a"\n  id: 1.5\n}', /^m\.pbtxt:3: id must be a non-negative integer, got '1\.5'$/],
    ['item {\n  name: a\n  id: 1\n}', /^m\.pbtxt:2: name must be a quoted string, got 'a'$/],
    ['item {\n  name "a"\n  id: 1\n}', /^m\.pbtxt:2: expected ':' after 'name', got "a"$/],
    ['item {\n  name: "a"\n  id: 1\n', /^m\.pbtxt:3: unexpected end of file$/],
    ['item {\n  name: "a\n  id: 1\n}', /^m\.pbtxt:2: unterminated string$/],
    ['\n\nitems {\n}', /^m\.pbtxt:3: expected 'item \{', got 'items'$/],
    ['item {\n  name: "a"\n}', /^m\.pbtxt:1: item without an id$/],
    ['item {\n  id: 2\n}', /^m\.pbtxt:1: item without a name$/],
    ['item {\n  id: 2\n  label_id: 3\n  name: "a"\n}', /^m\.pbtxt:3: label_id given twice in one item$/],
    ['item {\n  name: "a"\n  id: 1\n  label_type: "X"\n}', /^m\.pbtxt:4: label_type must be a bare word/],
    ['item {\n  name: "a";\n  id: 1\n}', /^m\.pbtxt:2: unexpected character ';'$/],
    ['# nothing\n', /^m\.pbtxt:1: no items in the label map$/],
  ];
  for (const [text, message] of cases) assert.throws(() => parseAvaLabelMap(text, 'm.pbtxt'), { message }, text);
});

test('file readers stream the files and name the path in errors', async () => {
  const dir = tempDir('cvrl-ava-');
  const gt = join(dir, 'gt.csv'), bad = join(dir, 'bad.csv'), map = join(dir, 'map.pbtxt');
  writeFileSync(gt, '\uFEFFv1,0902,0.1,0.2,0.3,0.4,5,1\r\nv1,0902,0.1,0.2,0.3,0.4,6,1\r\n');
  writeFileSync(bad, 'v1,0902,0.1,0.2,0.3,0.4,5,0.5\n\n\nv1,0902,0.1,0.2,0.3,0.4,5\n');
  writeFileSync(map, 'item {\n  name: "a"\n  id: 5\n}\nitem {\n  name: "b"\n  id: 5\n}\n');
  assert.deepEqual((await readAvaAnnotations(gt)).map((b) => [b.videoId, b.labels]), [['v1', [5, 6]]]);
  assert.equal((await readAvaPredictions(bad).catch((e: Error) => e.message)), `${bad}:4: expected 8 columns (video_id,timestamp,x1,y1,x2,y2,action_id,score), got 7`);
  await assert.rejects(readAvaLabelMap(map), { message: `${map}:7: duplicate id 5 (first at line 3)` });
});

/** Runs `detect score ...` on a program with only this command; returns what it printed. */
async function detectScore(args: string[], t: { mock: { method: (o: object, m: string, f: (...a: unknown[]) => void) => unknown } }): Promise<string> {
  const lines: string[] = [];
  t.mock.method(console, 'log', (...a: unknown[]) => { lines.push(a.join(' ')); });
  const program = new Command('cvrl').exitOverride().configureOutput({ writeErr: () => {} });
  registerDetect(program);
  await program.parseAsync(['node', 'cvrl', 'detect', 'score', ...args]);
  return lines.join('\n');
}

test('cvrl detect score prints per-class AP and mAP, as a table or as JSON', async (t) => {
  const dir = tempDir('cvrl-ava-');
  const files = {
    gt: join(dir, 'gt.csv'), det: join(dir, 'det.csv'), map: join(dir, 'map.pbtxt'), ex: join(dir, 'ex.csv'),
  };
  // Class 1: A TP, C FP, B TP -> precision 1, 1/2, 2/3 -> AP (1 + 2/3) / 2 = 83.33. Class 2: one box, found: 100.
  // Class 3: no ground truth (null). Class 9 is not in the map; keyframe v,0903 is excluded.
  writeFileSync(files.gt, [
    'v,0902,0.1,0.1,0.4,0.4,1,0', 'v,0902,0.1,0.1,0.4,0.4,2,0', 'v,0902,0.5,0.5,0.9,0.9,1,1',
    'v,0902,0.5,0.5,0.9,0.9,9,1', 'v,0903,0.5,0.5,0.9,0.9,1,0', '',
  ].join('\n'));
  writeFileSync(files.det, [
    'v,0902,0.1,0.1,0.4,0.4,1,0.9', 'v,0902,0.0,0.5,0.3,0.9,1,0.8', 'v,0902,0.5,0.5,0.9,0.9,1,0.7',
    'v,0902,0.1,0.1,0.4,0.4,2,0.6', 'v,0902,0.1,0.1,0.4,0.4,3,0.6', 'v,0902,0.0,0.5,0.3,0.9,9,0.99', 'v,0903,0.0,0.5,0.3,0.9,1,0.95',
  ].join('\n'));
  writeFileSync(files.map, 'item { name: "bend" id: 1 }\nitem { name: "crouch" id: 2 }\nitem { name: "dance" id: 3 }\n');
  writeFileSync(files.ex, 'v,0903\n');
  const args = ['--annotations', files.gt, '--predictions', files.det, '--label-map', files.map, '--exclusions', files.ex];
  const j = JSON.parse(await detectScore([...args, '--json'], t)) as { mAP: number; per_class: Record<string, number | null> };
  assert.deepEqual(Object.keys(j.per_class), ['1', '2', '3']);
  assert.ok(Math.abs(j.per_class['1']! - 250 / 3) < 1e-9);
  assert.equal(j.per_class['2'], 100);
  assert.equal(j.per_class['3'], null);
  assert.ok(Math.abs(j.mAP - (250 / 3 + 100) / 2) < 1e-9);
  const table = await detectScore(args, t);
  assert.equal(table, [
    'id      AP  gt  class',
    ' 1   83.33   2  bend',
    ' 2  100.00   1  crouch',
    ' 3       -   0  dance',
    'mAP 91.67 over 2 of 3 classes (classes without ground truth are left out)',
  ].join('\n'));
  // Without the exclusions the FP at v,0903 and its box count: class 1 drops.
  const all = JSON.parse(await detectScore([...args.slice(0, 6), '--json'], t)) as { per_class: Record<string, number> };
  assert.ok(all.per_class['1'] < 250 / 3);
  // Reader errors reach the caller with their file:line.
  writeFileSync(files.det, 'v,0902,0.1,0.1,0.4,0.4,1,0.9\nv,0902,0.1,0.1,0.4\n');
  await assert.rejects(detectScore(args, t), { message: `${files.det}:2: expected 8 columns (video_id,timestamp,x1,y1,x2,y2,action_id,score), got 5` });
  await assert.rejects(detectScore([...args, '--max-per-frame', '-1'], t), /--max-per-frame must be an integer >= 0, got '-1'/);
});
