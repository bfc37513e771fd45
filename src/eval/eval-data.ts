/**
 * The train/test datasets of an evaluation: the official splits of UCF-101 and HMDB-51 (one, or
 * all three with `--split all`), Kinetics' train/val CSV subsets, or separate test data/annotations
 * for the folder and list formats.
 */
import { openDataset, type DatasetFormat, type VideoDataset } from '../video/dataset.js';
import { namingOptions } from '../util/option-error.js';

export interface EvalDataSpec {
  data: string;
  format: DatasetFormat;
  annotations?: string;
  /** 1-3, or 'all' for UCF-101/HMDB-51. */
  split?: number | 'all';
  /** Test set root and annotations when they differ from the training ones (folder, list formats). */
  testData?: string;
  testAnnotations?: string;
  /** Subset names for formats with a split column (Kinetics: train / val). */
  trainSubset?: string;
  testSubset?: string;
}

const OFFICIAL_SPLITS = new Set<DatasetFormat>(['ucf101', 'hmdb51']);

/** The splits to run: [1, 2, 3] for 'all', otherwise the one given (undefined where splits do not apply). */
export function splitsOf(spec: EvalDataSpec): (number | undefined)[] {
  if (spec.split === 'all') {
    if (!OFFICIAL_SPLITS.has(spec.format)) throw namingOptions(new Error(`split 'all' needs format ucf101 or hmdb51 (three official splits), not ${spec.format}`), 'split', 'format');
    return [1, 2, 3];
  }
  return [spec.split];
}

export function openSplit(spec: EvalDataSpec, split: number | undefined): { train: VideoDataset; test: VideoDataset } {
  const official = OFFICIAL_SPLITS.has(spec.format);
  const split1 = official ? split ?? 1 : split;
  const train = openDataset({ data: spec.data, format: spec.format, annotations: spec.annotations, split: split1, subset: spec.trainSubset ?? (spec.format === 'kinetics' ? 'train' : undefined) });
  let test: VideoDataset;
  if (official) {
    test = openDataset({ data: spec.testData ?? spec.data, format: spec.format, annotations: spec.testAnnotations ?? spec.annotations, split: split1, subset: 'test' });
  } else if (spec.format === 'kinetics') {
    test = openDataset({ data: spec.testData ?? spec.data, format: spec.format, annotations: spec.testAnnotations ?? spec.annotations, subset: spec.testSubset ?? 'val' });
  } else {
    if (!spec.testData && !spec.testAnnotations) throw namingOptions(new Error(`format ${spec.format} has no built-in test split: pass testData and/or testAnnotations`), 'format', 'testData', 'testAnnotations');
    test = openDataset({ data: spec.testData ?? spec.data, format: spec.format, annotations: spec.testAnnotations ?? spec.annotations });
  }
  if (train.items.length === 0) throw new Error(`${spec.annotations ?? spec.data}: the training set${split1 ? ` of split ${split1}` : ''} is empty`);
  if (test.items.length === 0) throw new Error(`${spec.testAnnotations ?? spec.annotations ?? spec.data}: the test set${split1 ? ` of split ${split1}` : ''} is empty`);
  const sameClasses = train.classes.length === test.classes.length && train.classes.every((c, i) => c === test.classes[i]);
  if (!sameClasses) throw new Error(`training classes (${train.classes.length}) and test classes (${test.classes.length}) differ; evaluation needs one label space`);
  return { train, test };
}
