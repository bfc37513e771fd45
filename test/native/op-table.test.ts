// The op table is kept by hand in native/*.cc (registrations) and src/native/addon.ts (NativeAddon);
// typecheck covers the src/torch wrappers against NativeAddon, this covers NativeAddon against C++.
// Checked to fail on a deliberate mismatch (a parameter dropped from `slice`, an op renamed in
// ops_shape.cc); the synthetic case below keeps that property under test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareTables, parseCpp, parseTs } from '../helpers/op-table.js';
import { native } from '../../src/native/addon.js';

// The tensor class is exported for the addon's own wrapping; JS only sees its instances as Handles.
const CPP_ONLY = new Set(['NativeTensor']);

function sources() {
  const dir = 'native';
  const files = Object.fromEntries(readdirSync(dir).filter((f) => f.endsWith('.cc')).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
  // NativeAddon extends NativeDistributed and NativeVideo (the c10d and video functions, in their own files).
  const parts = [parseTs(readFileSync('src/native/addon.ts', 'utf8')), parseTs(readFileSync('src/native/distributed-api.ts', 'utf8'), 'NativeDistributed'),
    parseTs(readFileSync('src/native/video-api.ts', 'utf8'), 'NativeVideo')];
  return { cpp: parseCpp(files), ts: { methods: new Map(parts.flatMap((p) => [...p.methods])), properties: new Set(parts.flatMap((p) => [...p.properties])) } };
}

test('every native registration matches a NativeAddon declaration, name and argument count', () => {
  const { cpp, ts } = sources();
  assert.ok(cpp.functions.size > 150, `parsed only ${cpp.functions.size} native ops; the parser no longer reads native/*.cc`);
  assert.deepEqual(compareTables(cpp, ts, CPP_ONLY), []);
});

test('every NativeAddon member exists on the loaded addon, and nothing undeclared does', () => {
  const { ts } = sources();
  const addon = native as unknown as Record<string, unknown>;
  for (const name of ts.methods.keys()) assert.equal(typeof addon[name], 'function', `native.${name} is not a function`);
  for (const name of ts.properties) assert.ok(name in addon, `native.${name} is missing`);
  const undeclared = Object.keys(addon).filter((k) => !ts.methods.has(k) && !ts.properties.has(k) && !CPP_ONLY.has(k));
  assert.deepEqual(undeclared, []);
});

test('the comparison names each kind of mismatch', () => {
  const cpp = parseCpp({
    'ops_x.cc': `
#define UNARY(js, fn) CVRL_OP(js, fn(a.t(0)))
void RegisterX(Napi::Env env, Napi::Object exports) {
  CVRL_OP("narrow", at::narrow(a.t(0), a.i(1), a.i(2), /*len*/ a.i(3)));  // "comment)"
  CVRL_VOID("fill_", a.t(0).fill_(a.scalar(1)));
  UNARY("neg", at::neg);
  CVRL_OP("onlyCpp", a.t(0));
  exports.Set("helper", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    return Guard(info, [](Args& a) { return Helper(a); });
  }, "helper"));
}
static Napi::Value Helper(Args& a) { return a.raw(2); }`,
  });
  const ts = parseTs(`export interface NativeAddon {
    narrow(a: H, dim: number, start: number): H;
    fill_(a: H, v: number): void;
    neg(a: H, extra: number): H;
    helper(a: H): H;
    onlyTs(): void;
  }`);
  assert.deepEqual(compareTables(cpp, ts), [
    'narrow: ops_x.cc reads 4 argument(s), NativeAddon declares 3',
    'onlyCpp (ops_x.cc) has no declaration in NativeAddon',
    'neg: ops_x.cc reads 1 argument(s), NativeAddon declares 2',
    'helper: ops_x.cc reads at least 3 argument(s), NativeAddon declares 1',
    'onlyTs is declared in NativeAddon but no native/*.cc registers it',
  ]);
});
