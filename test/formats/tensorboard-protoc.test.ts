// Our TensorBoard event files read by an independent decoder: python3 with protoc-generated classes
// from a cut-down copy of TensorBoard's event.proto / summary.proto / hparams plugin_data.proto
// (same field numbers), and a CRC-32C written in Python, so that neither the framing nor the
// protobuf encoding is checked against our own code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventWriter } from '../../src/formats/tensorboard.js';
import { tempDir } from '../helpers/python.js';

const PY = '/usr/bin/python3';

const PROTO = `syntax = "proto3";
package tensorboard;
import "google/protobuf/struct.proto";
message SummaryMetadata {
  message PluginData { string plugin_name = 1; bytes content = 2; }
  PluginData plugin_data = 1;
}
message Summary {
  message Value {
    string tag = 1;
    SummaryMetadata metadata = 9;
    oneof value { float simple_value = 2; }
  }
  repeated Value value = 1;
}
message SessionLog {
  enum SessionStatus { STATUS_UNSPECIFIED = 0; START = 1; STOP = 2; CHECKPOINT = 3; }
  SessionStatus status = 1;
}
message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what { string file_version = 3; Summary summary = 5; SessionLog session_log = 7; }
}
message SessionStartInfo {
  map<string, google.protobuf.Value> hparams = 1;
  string group_name = 4;
  double start_time_secs = 5;
}
message HParamsPluginData {
  int32 version = 1;
  oneof data { SessionStartInfo session_start_info = 3; }
}
`;

// Reads a TFRecord file, checks every length and data CRC, decodes each record as an Event.
const READER = `
import json, struct, sys
sys.path.insert(0, sys.argv[1])
import events_pb2 as pb
from google.protobuf import json_format

def table():
    t = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t
T = table()
def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c = T[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF
def masked(b):
    c = crc32c(b)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF
assert crc32c(b"123456789") == 0xE3069283, "crc32c self-check"

data = open(sys.argv[2], "rb").read()
off, out = 0, []
while off < len(data):
    if len(data) - off < 12: sys.exit("truncated record header at %d" % off)
    (n,) = struct.unpack_from("<Q", data, off)
    (lcrc,) = struct.unpack_from("<I", data, off + 8)
    if lcrc != masked(data[off:off + 8]): sys.exit("length CRC mismatch at %d" % off)
    body = data[off + 12:off + 12 + n]
    (dcrc,) = struct.unpack_from("<I", data, off + 12 + n)
    if dcrc != masked(body): sys.exit("data CRC mismatch at %d" % off)
    e = pb.Event.FromString(body)
    rec = json_format.MessageToDict(e, preserving_proto_field_name=True)
    for v, m in zip(rec.get("summary", {}).get("value", []), e.summary.value):
        # json_format shortens floats: take the float32 value itself (exact as a double).
        if m.HasField("simple_value"):
            v["simple_value"] = m.simple_value
        if m.metadata.plugin_data.plugin_name == "hparams":
            v["hparams"] = json_format.MessageToDict(pb.HParamsPluginData.FromString(m.metadata.plugin_data.content), preserving_proto_field_name=True)
    out.append(rec)
    off += 16 + n
print(json.dumps(out))
`;

function missingTools(): string | null {
  if (spawnSync('protoc', ['--version']).status !== 0) return 'protoc not installed (Debian: protobuf-compiler)';
  if (spawnSync(PY, ['-c', 'import google.protobuf']).status !== 0) return 'python3-protobuf not installed';
  return null;
}

test('TensorBoard event files decode with protoc-generated Python classes: framing, CRCs, tags, steps, values, session log, hparams', (t) => {
  const missing = missingTools();
  if (missing) {
    if (process.env.CI) throw new Error(`${missing}: scripts/setup.sh should have installed it`);
    return t.skip(missing);
  }
  const dir = tempDir('cvrl-tb-protoc-');
  writeFileSync(join(dir, 'events.proto'), PROTO);
  const gen = spawnSync('protoc', [`--proto_path=${dir}`, `--python_out=${dir}`, join(dir, 'events.proto')], { encoding: 'utf8' });
  assert.equal(gen.status, 0, gen.stderr);

  const logdir = join(dir, 'run');
  mkdirSync(logdir);
  const w = new EventWriter(logdir, { purgeStep: 7 });
  w.hparams({ lr: 0.32, arch: 'r3d_18', flip: true, 'clip.frames': 16 }, { group: 'g1' });
  w.scalars(7, { 'train/loss': 4.25, 'train/lr': 0.1 });
  w.scalars(8, { 'train/loss': 3.9, skipped: Infinity });
  w.scalars(2 ** 40, { 'eval/top1': 61.5 });
  w.close();
  const file = join(logdir, readdirSync(logdir)[0]);
  const read = (f: string) => spawnSync(PY, ['-c', READER, dir, f], { encoding: 'utf8' });
  const r = read(file);
  assert.equal(r.status, 0, r.stderr);
  const events = JSON.parse(r.stdout) as { wall_time: number; step?: string; file_version?: string; session_log?: { status: string }; summary?: { value: { tag: string; simple_value?: number; hparams?: unknown }[] } }[];

  assert.equal(events.length, 6);
  assert.equal(events[0].file_version, 'brain.Event:2');
  for (const e of events) assert.ok(Math.abs(e.wall_time - Date.now() / 1000) < 600, `wall_time ${e.wall_time}`);
  // int64 steps come back as decimal strings from json_format; step 0 is the default and omitted.
  assert.deepEqual(events[1], { wall_time: events[1].wall_time, step: '7', session_log: { status: 'START' } });
  const hp = events[2].summary!.value[0];
  assert.equal(hp.tag, '_hparams_/session_start_info');
  assert.deepEqual(hp.hparams, { session_start_info: { hparams: { lr: 0.32, arch: 'r3d_18', flip: true, 'clip.frames': 16 }, group_name: 'g1', start_time_secs: events[2].wall_time } });
  const scalars = events.slice(3).map((e) => [e.step, e.summary!.value.map((v) => [v.tag, v.simple_value])]);
  assert.deepEqual(scalars, [
    ['7', [['train/loss', 4.25], ['train/lr', Math.fround(0.1)]]],
    ['8', [['train/loss', Math.fround(3.9)]]],
    [String(2 ** 40), [['eval/top1', 61.5]]],
  ]);

  // The reader really checks the CRCs: one flipped byte in a record's data is reported.
  const bad = join(dir, 'corrupt');
  copyFileSync(file, bad);
  const bytes = readFileSync(bad);
  bytes[bytes.length - 6] ^= 1;
  writeFileSync(bad, bytes);
  const rb = read(bad);
  assert.notEqual(rb.status, 0);
  assert.match(rb.stderr, /data CRC mismatch/);
});
