/**
 * Encoders from plain PyTorch state dicts saved as safetensors, without cvrl's checkpoint metadata:
 * torchvision's r3d_18 / mc3_18 / r2plus1d_18 weights (`safetensors.torch.save_file(m.state_dict())`),
 * or what `cvrl export --format safetensors` writes. Our ResNet3d is laid out like torchvision's
 * VideoResNet, so its keys are the same (`stem.0.weight`, `layer1.0.conv1.0.weight`,
 * `layer2.0.downsample.1.running_var`); loading only drops the classifier (`fc.*`, an encoder has
 * none) and a DataParallel `module.` prefix. Everything else must match: a missing or unknown key or
 * a wrong shape is an error naming the file, the architecture and the key.
 */
import { existsSync } from 'node:fs';
import { readSafetensorsHeader } from '../formats/safetensors.js';
import { loadSafetensors } from '../nn/safetensors.js';
import { namingOptions } from '../util/option-error.js';
import { type Tensor } from '../torch/tensor.js';
import { createModel, listModels, type ModelOverrides } from './registry.js';
import { type ResNet3d } from './resnet3d.js';
import { type ModelSpec } from './checkpoint.js';

export interface PlainWeightsOptions {
  /** Registered architecture of the weights; default: the `cvrl_model` metadata that `cvrl export` writes. */
  arch?: string;
  /** Width multiplier (only for weights trained at another width). */
  width?: number;
}

export interface PlainWeights {
  encoder: ResNet3d;
  spec: ModelSpec;
  /** Keys of the file that were left out (the classifier). */
  dropped: string[];
}

/** The architecture a file was exported with (`cvrl export` records it), if any. */
function exportedSpec(metadata: Record<string, string>): ModelSpec | undefined {
  try {
    const spec = JSON.parse(metadata.cvrl_model ?? 'null') as ModelSpec | null;
    return spec && typeof spec.arch === 'string' ? { arch: spec.arch, overrides: spec.overrides ?? {} } : undefined;
  } catch {
    return undefined;
  }
}

/** File keys under our names: `module.` removed, `fc.*` set aside. */
function ourKeys(keys: readonly string[]): { map: Map<string, string>; dropped: string[] } {
  const strip = keys.length > 0 && keys.every((k) => k.startsWith('module.'));
  const map = new Map<string, string>();
  const dropped: string[] = [];
  for (const k of keys) {
    const ours = strip ? k.slice('module.'.length) : k;
    if (ours.startsWith('fc.')) dropped.push(k);
    else map.set(ours, k);
  }
  return { map, dropped };
}

/** Builds the encoder of `arch` and loads a plain state dict into it (eval mode is the caller's choice). */
export function loadPlainWeights(file: string, o: PlainWeightsOptions = {}): PlainWeights {
  if (!existsSync(file)) throw namingOptions(new Error(`weights file not found: ${file}`), 'weights');
  const { metadata } = readSafetensorsHeader(file);
  if (metadata.cvrl) throw namingOptions(new Error(`${file} is a cvrl checkpoint: pass it as checkpoint, not weights`), 'checkpoint', 'weights');
  const exported = exportedSpec(metadata);
  const arch = o.arch ?? exported?.arch;
  const known = listModels().map((m) => m.name);
  if (!arch) throw namingOptions(new Error(`${file} does not record its architecture: pass arch (torchvision: r3d_18, mc3_18, r2plus1d_18; all: ${known.join(', ')})`), 'arch');
  if (!known.includes(arch)) throw namingOptions(new Error(`arch: unknown model '${arch}'; known: ${known.join(', ')}`), 'arch');
  const overrides: ModelOverrides = { ...(o.arch ? {} : exported?.overrides), ...(o.width !== undefined ? { width: o.width } : {}) };
  const encoder = createModel(arch, { ...overrides, numClasses: 0 });
  const { tensors } = loadSafetensors(file);
  try {
    const { map, dropped } = ourKeys([...tensors.keys()]);
    const own = [...encoder.stateDict().keys()];
    // Some exporters leave out BatchNorm's step counter; it plays no part in a forward pass.
    const missing = own.filter((k) => !map.has(k) && !k.endsWith('.num_batches_tracked'));
    const unexpected = [...map.keys()].filter((k) => !own.includes(k));
    if (missing.length || unexpected.length) {
      const list = (ks: string[]) => `[${ks.slice(0, 5).join(', ')}${ks.length > 5 ? ', ...' : ''}]`;
      throw namingOptions(new Error(`${file} does not hold ${arch} weights: ${missing.length} missing key(s) ${list(missing)}, `
        + `${unexpected.length} unexpected key(s) ${list(unexpected)}; is arch right?`), 'arch');
    }
    const sd = new Map<string, Tensor>();
    for (const [ours, theirs] of map) sd.set(ours, tensors.get(theirs)!);
    try {
      encoder.loadStateDict(sd, { strict: false });
    } catch (e) {
      throw new Error(`${file} (as ${arch}): ${(e as Error).message}`);
    }
    return { encoder, spec: { arch, overrides }, dropped };
  } finally {
    tensors.forEach((t) => t.dispose());
  }
}
