/** `cvrl pretrain`: CVRL self-supervised pre-training of a video encoder. */
import { Command } from 'commander';
import { z } from 'zod';
import { resolveConfig, PretrainConfigSchema } from '../train/config.js';
import { CONFIG_HELP } from '../train/config-help.js';
import { pretrain } from '../train/pretrain.js';
import { knnMonitor } from '../eval/knn-monitor.js';
import { type DatasetFormat } from '../video/dataset.js';
import { launchLocal, threadsPerWorker, watchLauncher } from '../train/launch.js';
import { kebab } from './flags.js';
import { UsageError } from './parse.js';

const NUMBER_LISTS = new Set(['blurProb', 'solarizeProb']);

/** The schema under .default() and .optional(), through zod's public API. */
function baseSchema(s: z.ZodTypeAny): z.ZodTypeAny {
  if (s instanceof z.ZodDefault) return baseSchema(s.removeDefault());
  if (s instanceof z.ZodOptional) return baseSchema(s.unwrap());
  return s;
}

/** A config key's help: its text, allowed values and default (from the schema). */
function keyHelp(key: keyof typeof CONFIG_HELP): string {
  const s = PretrainConfigSchema.shape[key] as z.ZodTypeAny;
  const base = baseSchema(s);
  const extra: string[] = [];
  if (base instanceof z.ZodEnum) extra.push(`one of ${(base.options as string[]).join(', ')}`);
  if (base instanceof z.ZodBoolean) extra.push('true or false');
  if (s instanceof z.ZodDefault) {
    const d: unknown = s.parse(undefined); // a default schema parses a missing value to its default
    extra.push(`default ${Array.isArray(d) ? d.join(',') : String(d)}`);
  }
  return `${CONFIG_HELP[key]}${extra.length ? ` (${extra.join('; ')})` : ''}`;
}

/** Flags for every config key: --key value (camelCase keys become --kebab-case), parsed by the key's type. */
function parseValue(key: string, raw: string): unknown {
  const type = baseSchema(PretrainConfigSchema.shape[key as keyof typeof PretrainConfigSchema.shape]);
  if (NUMBER_LISTS.has(key)) {
    const list = raw.split(',').map((x) => (x.trim() === '' ? NaN : Number(x)));
    if (list.some((n) => !Number.isFinite(n))) throw new UsageError(`--${kebab(key)} must be numbers separated by commas, got '${raw}'`);
    return list;
  }
  if (type instanceof z.ZodNumber) {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${kebab(key)} must be a number, got '${raw}'`);
    return n;
  }
  if (type instanceof z.ZodBoolean) {
    if (!['true', 'false', '1', '0'].includes(raw)) throw new UsageError(`--${kebab(key)} must be true or false, got '${raw}'`);
    return raw === 'true' || raw === '1';
  }
  return raw;
}

function withoutNproc(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--nproc') i++;
    else if (!argv[i].startsWith('--nproc=')) out.push(argv[i]);
  }
  return out;
}

export function registerPretrain(program: Command): void {
  const cmd = program
    .command('pretrain')
    .description('pre-train a video encoder with CVRL (two clips per video, consistent augmentation, NT-Xent)')
    .option('--config <file>', 'YAML config (see configs/); flags override its keys, and the defaults below apply to keys neither sets')
    .option('--resume', 'continue the run in --out from its latest checkpoint')
    .option('--quiet', 'no progress output')
    .option('--nproc <n>', 'start n local worker processes (like torchrun --nproc_per_node); --threads is split between them');
  for (const key of Object.keys(PretrainConfigSchema.shape) as (keyof typeof CONFIG_HELP)[]) {
    cmd.option(`--${kebab(key)} <value>`, keyHelp(key));
  }
  cmd.action(async (opts: Record<string, string | boolean | undefined>) => {
    const overrides: Record<string, unknown> = {};
    for (const key of Object.keys(PretrainConfigSchema.shape)) {
      const v = opts[key];
      if (typeof v === 'string') overrides[key] = parseValue(key, v);
    }
    const config = resolveConfig(overrides, typeof opts.config === 'string' ? opts.config : undefined);
    if (opts.nproc !== undefined) {
      const nproc = Number(opts.nproc);
      if (!Number.isInteger(nproc) || nproc < 1) throw new UsageError(`--nproc must be a positive integer, got '${opts.nproc}'`);
      if (process.env.WORLD_SIZE !== undefined) throw new UsageError(`--nproc starts its own workers; it cannot run under a launcher that already set WORLD_SIZE (${process.env.WORLD_SIZE})`);
      // Workers run this same command without --nproc, each with its share of the threads.
      const args = [process.argv[1], ...withoutNproc(process.argv.slice(2)), '--threads', String(threadsPerWorker(config.threads, nproc))];
      const r = await launchLocal({ nproc, args });
      process.exitCode = r.exitCode;
      return;
    }
    watchLauncher();
    // pretrain() calls the monitor on rank 0 only.
    const monitor = config.knnEvery > 0
      ? knnMonitor({ data: config.data, format: config.format as DatasetFormat, annotations: config.annotations, split: config.split }, config, { videos: config.knnVideos, parallelism: config.parallelism })
      : undefined;
    const r = await pretrain({ config, resume: Boolean(opts.resume), quiet: Boolean(opts.quiet), monitor });
    console.log(JSON.stringify({ runDir: r.runDir, steps: r.steps, finalLoss: r.finalLoss, checkpoint: r.checkpoint, clipsPerSec: Math.round(r.clipsPerSec * 10) / 10, badVideos: r.badVideos, interrupted: r.interrupted, rank: r.rank, worldSize: r.worldSize, parameterDigest: r.parameterDigest }));
    if (r.interrupted) process.exitCode = 130;
  });
}
