/**
 * Named model configurations and `createModel(name, overrides)` (timm-style). Names follow
 * torchvision for its video models (so their weights load with strict key matching) and CVRL's
 * paper for the slow-pathway R3D family.
 */
import { ResNet3d, type ResNet3dConfig } from './resnet3d.js';
import { configProblems, overrideProblems } from './config-check.js';

/** CVRL's R3D (SlowFast slow pathway): stem 5x7x7 stride (2,2,2), pool 1x3x3 stride (1,2,2), temporal kernel 1 in res2/res3, 3 in res4/res5. */
function cvrl(layers: number[], width: number): ResNet3dConfig {
  return {
    block: 'bottleneck', layers, planes: [64, 128, 256, 512], width,
    stem: { kind: 'conv', channels: 64, kernel: [5, 7, 7], stride: [2, 2, 2], pool: { kernel: [1, 3, 3], stride: [1, 2, 2] } },
    convKind: ['3d', '3d', '3d', '3d'], temporalKernels: [1, 1, 3, 3],
    spatialStrides: [1, 2, 2, 2], temporalStrides: [1, 1, 1, 1], numClasses: 0,
  };
}

/** torchvision's VideoResNet with basic blocks. */
function tv(kind: 'r3d' | 'mc3' | 'r2plus1d', layers: number[], width = 1): ResNet3dConfig {
  const two = kind === 'r2plus1d';
  return {
    block: 'basic', layers, planes: [64, 128, 256, 512], width,
    stem: two
      ? { kind: '2plus1d', channels: 64, kernel: [3, 7, 7], stride: [1, 2, 2] }
      : { kind: 'conv', channels: 64, kernel: [3, 7, 7], stride: [1, 2, 2] },
    convKind: two ? ['2plus1d', '2plus1d', '2plus1d', '2plus1d'] : ['3d', '3d', '3d', '3d'],
    temporalKernels: kind === 'mc3' ? [3, 1, 1, 1] : [3, 3, 3, 3],
    spatialStrides: [1, 2, 2, 2],
    temporalStrides: kind === 'mc3' ? [1, 1, 1, 1] : [1, 2, 2, 2],
    numClasses: 0,
  };
}

const REGISTRY: Record<string, { config: () => ResNet3dConfig; description: string }> = {
  cvrl_r3d50: { config: () => cvrl([3, 4, 6, 3], 1), description: "CVRL's R3D-50 (slow pathway), 2048-d features" },
  cvrl_r3d50_2x: { config: () => cvrl([3, 4, 6, 3], 2), description: 'CVRL R3D-50 at width 2x (4096-d)' },
  cvrl_r3d50_4x: { config: () => cvrl([3, 4, 6, 3], 4), description: 'CVRL R3D-50 at width 4x (8192-d)' },
  cvrl_r3d101: { config: () => cvrl([3, 4, 23, 3], 1), description: 'CVRL R3D-101' },
  cvrl_r3d152: { config: () => cvrl([3, 8, 36, 3], 1), description: 'CVRL R3D-152' },
  cvrl_r3d152_2x: { config: () => cvrl([3, 8, 36, 3], 2), description: 'CVRL R3D-152 at width 2x' },
  r3d_18: { config: () => tv('r3d', [2, 2, 2, 2]), description: "torchvision's r3d_18 (3x3x3 convs everywhere)" },
  r3d_34: { config: () => tv('r3d', [3, 4, 6, 3]), description: 'R3D-34 with basic blocks' },
  mc3_18: { config: () => tv('mc3', [2, 2, 2, 2]), description: "torchvision's mc3_18 (3-D conv in layer1, 2-D after)" },
  r2plus1d_18: { config: () => tv('r2plus1d', [2, 2, 2, 2]), description: "torchvision's r2plus1d_18 ((2+1)-D convs)" },
  r3d_18_tiny: { config: () => tv('r3d', [2, 2, 2, 2], 0.25), description: 'r3d_18 at width 0.25 (128-d): the CPU preset for demos and tests' },
  cvrl_r3d50_tiny: { config: () => cvrl([3, 4, 6, 3], 0.25), description: 'CVRL R3D-50 at width 0.25 (512-d): a CPU-sized slow pathway' },
};

export type ModelOverrides = Partial<ResNet3dConfig>;

/** Registered model names with one-line descriptions. */
export function listModels(): { name: string; description: string }[] {
  return Object.entries(REGISTRY).map(([name, r]) => ({ name, description: r.description }));
}

/** The resolved configuration of a named model with overrides applied; fields out of range are errors naming them. */
export function modelConfig(name: string, overrides: ModelOverrides = {}): ResNet3dConfig {
  const entry = Object.hasOwn(REGISTRY, name) ? REGISTRY[name] : undefined;
  if (!entry) throw new Error(`unknown model '${name}'; available: ${Object.keys(REGISTRY).join(', ')}`);
  const problems = overrideProblems(overrides);
  const config = { ...entry.config(), ...overrides };
  if (!problems.length) problems.push(...configProblems(config));
  if (problems.length) throw new RangeError(`model '${name}': ${problems.join('; ')}`);
  return config;
}

/** Builds a named model, e.g. createModel('cvrl_r3d50'), createModel('r3d_18', { numClasses: 400 }), createModel('cvrl_r3d50', { width: 2 }). */
export function createModel(name: string, overrides: ModelOverrides = {}): ResNet3d {
  return new ResNet3d(modelConfig(name, overrides));
}
