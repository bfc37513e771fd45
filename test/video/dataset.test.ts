import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { openDataset, synthesizeDataset, DatasetError } from '../../src/video/index.js';
import { tempDir } from '../helpers/python.js';

const root = tempDir('cvrl-ds-');
let made: Awaited<ReturnType<typeof synthesizeDataset>>;

test('synthetic UCF-101 layout parses for all three splits with disjoint train/test', async () => {
  made = await synthesizeDataset({ out: root, format: 'ucf101', classes: 3, videosPerClass: 5, frames: 12, size: 32 });
  for (const split of [1, 2, 3]) {
    const tr = openDataset({ data: root, format: 'ucf101', annotations: made.annotations, split });
    const te = openDataset({ data: root, format: 'ucf101', annotations: made.annotations, split, subset: 'test' });
    assert.deepEqual(tr.classes, ['Translate', 'Rotate', 'Pulse']);
    assert.equal(tr.items.length + te.items.length, 15);
    const trainPaths = new Set(tr.items.map((i) => i.path));
    assert.ok(te.items.every((i) => !trainPaths.has(i.path)));
    assert.ok(te.items.every((i) => i.path.includes(tr.classes[i.label])), 'labels come from the class folder');
  }
});

test('HMDB-51, Kinetics, list and folder layouts', async () => {
  for (const format of ['hmdb51', 'kinetics', 'list', 'folder'] as const) {
    const out = join(root, format);
    const r = await synthesizeDataset({ out, format, classes: 2, videosPerClass: 3, frames: 8, size: 32 });
    const ds = openDataset({ data: out, format, annotations: format === 'folder' ? undefined : r.annotations, split: 1 });
    assert.deepEqual([...ds.classes].sort(), ['Rotate', 'Translate'], format);
    assert.equal(ds.items.length, format === 'hmdb51' ? 4 : 6, format);
    assert.ok(ds.items.every((i) => i.label >= 0 && i.label < 2));
  }
  const flat = join(root, 'flat');
  mkdirSync(flat);
  writeFileSync(join(flat, 'a.mp4'), '');
  assert.equal(openDataset({ data: flat, format: 'folder' }).items[0].label, -1, 'videos at the root are unlabelled');
});

test('malformed annotations name the file and line; escaping paths are rejected', () => {
  const ann = join(root, 'bad-ann');
  mkdirSync(ann, { recursive: true });
  writeFileSync(join(ann, 'classInd.txt'), '1 Translate\n2 Rotate\n3 Pulse\n');
  writeFileSync(join(ann, 'trainlist01.txt'), 'Translate/a.avi 1\nRotate/b.avi 7\n');
  assert.throws(() => openDataset({ data: root, format: 'ucf101', annotations: ann }), /trainlist01\.txt:2: label '7' is not a class index 1\.\.3/);
  writeFileSync(join(ann, 'trainlist01.txt'), 'Nope/a.avi 1\n');
  assert.throws(() => openDataset({ data: root, format: 'ucf101', annotations: ann }), /trainlist01\.txt:1: class folder 'Nope' is not in classInd\.txt/);
  writeFileSync(join(ann, 'trainlist01.txt'), 'Translate/../../../etc/passwd 1\n');
  assert.throws(() => openDataset({ data: root, format: 'ucf101', annotations: ann }), /escapes the data root/);
  writeFileSync(join(ann, 'classInd.txt'), '1 Translate\n3 Rotate\n');
  assert.throws(() => openDataset({ data: root, format: 'ucf101', annotations: ann }), /classInd\.txt:2: class indices must run 1, 2/);
  const list = join(ann, 'list.csv');
  writeFileSync(list, 'path,label\n/etc/passwd,1\n');
  assert.throws(() => openDataset({ data: root, format: 'list', annotations: list }), /list\.csv:2: path '\/etc\/passwd' escapes the data root/);
  writeFileSync(list, 'a.mp4,1,extra\n');
  assert.throws(() => openDataset({ data: root, format: 'list', annotations: list }), /list\.csv:1: expected 'path' or 'path,label', got 3 fields/);
  const csv = join(ann, 'k.csv');
  writeFileSync(csv, 'label,youtube_id,time_start,time_end,split\n"abseiling",x,zero,10,train\n');
  assert.throws(() => openDataset({ data: root, format: 'kinetics', annotations: csv }), /k\.csv:2: time_start\/time_end must be numbers/);
  writeFileSync(csv, 'label,youtube_id\n');
  assert.throws(() => openDataset({ data: root, format: 'kinetics', annotations: csv }), /k\.csv:1: missing column 'time_start'/);
  writeFileSync(csv, 'label,youtube_id,time_start,time_end,split\n"playing, drums",abc,5,15,val\n');
  const k = openDataset({ data: root, format: 'kinetics', annotations: csv, subset: 'val' });
  assert.deepEqual(k.classes, ['playing, drums']);
  assert.ok(k.items[0].path.endsWith(join('val', 'playing, drums', 'abc_000005_000015.mp4')));
  assert.throws(() => openDataset({ data: root, format: 'ucf101' }), /: annotations: required for format ucf101/);
  assert.throws(() => openDataset({ data: root, format: 'ucf101', annotations: made.annotations, split: 4 }), /: split: must be 1, 2 or 3/);
  assert.throws(() => openDataset({ data: join(root, 'nope'), format: 'folder' }), DatasetError);
  assert.throws(() => openDataset({ data: root, format: 'avi' as 'folder' }), /: format: must be one of/);
});
