/**
 * Ranges for ResNet3dConfig fields. Checkpoint metadata is untrusted input: without these a file
 * asking for `layers: [100000, ...]` would build a huge model before strict loading could fail.
 * The bounds are generous (R3D-152 has 36 blocks in res4, CVRL's widest is 4x).
 */
import type { ResNet3dConfig } from './resnet3d.js';

const STAGES = 8;
const KEYS = new Set(['block', 'layers', 'planes', 'width', 'stem', 'convKind', 'temporalKernels', 'spatialStrides', 'temporalStrides', 'numClasses', 'input']);

const isInt = (v: unknown, lo: number, hi: number): boolean => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function ints(v: unknown, length: number, lo: number, hi: number): boolean {
  return Array.isArray(v) && v.length >= 1 && v.length <= length && v.every((x) => isInt(x, lo, hi));
}

/** The overrides object itself: an object of known keys (checked before merging with the preset). */
export function overrideProblems(overrides: unknown): string[] {
  if (!isObject(overrides)) return [`overrides must be an object, got ${JSON.stringify(overrides)}`];
  return Object.keys(overrides).filter((k) => !KEYS.has(k)).map((k) => `overrides.${k} is not a model option (known: ${[...KEYS].join(', ')})`);
}

/** Problems with a resolved configuration, each naming its field; empty when it is in range. */
export function configProblems(c: ResNet3dConfig): string[] {
  const p: string[] = [];
  const bad = (field: string, want: string) => p.push(`${field} must be ${want}, got ${JSON.stringify((c as unknown as Record<string, unknown>)[field.split('.')[0]])}`);
  if (c.block !== 'basic' && c.block !== 'bottleneck') bad('block', "'basic' or 'bottleneck'");
  if (!ints(c.layers, STAGES, 1, 64)) bad('layers', `up to ${STAGES} block counts 1..64`);
  if (!ints(c.planes, STAGES, 1, 4096)) bad('planes', `up to ${STAGES} channel counts 1..4096`);
  if (!(typeof c.width === 'number' && c.width > 0 && c.width <= 8)) bad('width', 'a number in (0, 8]');
  const s = c.stem as unknown;
  if (!isObject(s) || (s.kind !== 'conv' && s.kind !== '2plus1d') || !isInt(s.channels, 1, 1024) || !ints(s.kernel, 3, 1, 15) || !ints(s.stride, 3, 1, 4)
    || (s.pool !== undefined && (!isObject(s.pool) || !ints(s.pool.kernel, 3, 1, 15) || !ints(s.pool.stride, 3, 1, 4)))) {
    bad('stem', "{ kind: 'conv'|'2plus1d', channels 1..1024, kernel [3 x 1..15], stride [3 x 1..4], pool? }");
  }
  if (!Array.isArray(c.convKind) || c.convKind.length > STAGES || !c.convKind.every((k) => k === '3d' || k === '2plus1d')) bad('convKind', `up to ${STAGES} of '3d' | '2plus1d'`);
  const kernelsOk = Array.isArray(c.temporalKernels) && c.temporalKernels.length <= STAGES && c.temporalKernels.every((k) => isInt(k, 1, 15) || ints(k, 64, 1, 15));
  if (!kernelsOk) bad('temporalKernels', `up to ${STAGES} kernels 1..15, each a number or one per block of its stage`);
  if (!ints(c.spatialStrides, STAGES, 1, 4)) bad('spatialStrides', `up to ${STAGES} strides 1..4`);
  if (!ints(c.temporalStrides, STAGES, 1, 4)) bad('temporalStrides', `up to ${STAGES} strides 1..4`);
  if (!p.length) {
    for (const [k, v] of Object.entries({ planes: c.planes, convKind: c.convKind, temporalKernels: c.temporalKernels, spatialStrides: c.spatialStrides, temporalStrides: c.temporalStrides })) {
      if (v.length !== c.layers.length) p.push(`${k} has ${v.length} entries but there are ${c.layers.length} stages`);
    }
  }
  if (!isInt(c.numClasses, 0, 1_000_000)) bad('numClasses', 'an integer 0..1000000');
  return p;
}
