/**
 * `cvrl embed FILE...` as a library call: video files named one by one, no dataset. Each file gets
 * the view-averaged feature of eval/embed-video.ts; rows go to an embeddings file (as `cvrl embed
 * --data` writes, label -1) when `out` is given, and to `onRow` as they come. An unreadable file is
 * reported as a row with an error and the others go on.
 */
import { TEST_VIEWS } from '../video/samplers.js';
import { EmbeddingWriter } from '../formats/embedding-file.js';
import { embedVideo } from '../eval/embed-video.js';
import { type ClipOptions } from '../eval/supervised.js';
import { openEncoder, describeEncoder, type EncoderSourceOptions } from './encoder-source.js';
import { resolveClip, startJob } from './job.js';
import { writeEvalOutput } from './output.js';
import { embeddingPaths } from './run-embedding.js';

export interface EmbedFilesJob {
  files: readonly string[];
  encoder: EncoderSourceOptions;
  /** Missing clip settings come from the checkpoint's pre-training config, then 16 x 2 at 112. */
  clip?: Partial<ClipOptions>;
  temporalViews?: number;
  spatialViews?: 1 | 3;
  threads?: number;
  seed?: number;
  /** A .safetensors file (index beside it, .jsonl) or a directory (embeddings.*, metrics.json); none: rows go to onRow only. */
  out?: string;
  onRow?: (row: EmbeddedFile) => void;
  log?: (line: string) => void;
}

/** One file's result: its features, or why it could not be read. */
export type EmbeddedFile = { path: string; features: Float32Array; error?: undefined } | { path: string; features?: undefined; error: string };

export interface EmbedFilesResult {
  file: string | null;
  index: string | null;
  rows: number;
  dim: number;
  failed: { path: string; error: string }[];
}

export async function runEmbedFiles(o: EmbedFilesJob): Promise<EmbedFilesResult> {
  startJob(o);
  const log = o.log ?? (() => undefined);
  const src = openEncoder({ seed: o.seed, ...o.encoder });
  const clip = resolveClip(o, src);
  const views = { temporalViews: o.temporalViews ?? TEST_VIEWS.temporal, spatialViews: o.spatialViews ?? TEST_VIEWS.spatial };
  const paths = o.out ? embeddingPaths(o.out) : null;
  const writer = paths ? new EmbeddingWriter(paths.file, paths.index) : null;
  const failed: { path: string; error: string }[] = [];
  let dim = 0, rows = 0;
  try {
    for (const path of o.files) {
      let row: EmbeddedFile;
      try {
        const e = await embedVideo(path, src.encoder, { ...clip, ...views });
        dim = e.dim;
        rows++;
        writer?.add({ path, label: -1, class: null, views: e.views }, e.features);
        row = { path, features: e.features };
      } catch (err) {
        const error = (err as Error).message.replace(`${path}: `, '');
        failed.push({ path, error });
        log(`embed: skipping ${path}: ${error}`);
        row = { path, error };
      }
      o.onRow?.(row);
    }
    const header = { command: 'embed', encoder: describeEncoder(src), files: o.files.length, clip, views };
    writer?.close({ cvrl: JSON.stringify(header) });
    const result: EmbedFilesResult = { file: paths?.file ?? null, index: paths?.index ?? null, rows, dim, failed };
    if (paths && !paths.asFile) {
      writeEvalOutput(o.out!, { ...header, ...result, badVideos: failed.length, classes: [] },
        `# Embeddings\n\n${rows} videos x ${dim} features in ${paths.file} (index ${paths.index}); ${failed.length} unreadable files left out.\n`);
    }
    return result;
  } catch (e) {
    writer?.abort();
    throw e;
  }
}
