// The public API as a user imports it: `import ... from 'cvrl'` resolves through package.json's
// exports map to the built dist/src/index.js (a package may import itself by name). Every name the
// README's examples import, and each library function the CLI commands stand on, must be there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

// A variable specifier: the type checker must not need dist/ (a fresh checkout has none).
const specifier = 'cvrl';
const load = async () => (await import(specifier)) as Record<string, unknown>;

const FUNCTIONS = [
  // pre-training and its config
  'pretrain', 'resolveConfig', 'loadConfigFile', 'initDistributed', 'launchLocal', 'knnMonitor',
  // losses
  'ntXent', 'globalNtXent', 'decorrelationLoss',
  // evaluation, in memory and as the commands' jobs
  'linearEval', 'finetune', 'retrieval', 'nearestNeighbors', 'knnScores', 'recallAtK', 'videoFeatures', 'extractEmbeddings', 'embedVideo',
  'runLinearEval', 'runFinetune', 'runEmbed', 'runEmbedFiles', 'runRetrieve', 'openEncoder', 'readEmbeddings', 'labelFractionSubset', 'scoreAva',
  // data
  'openDataset', 'probeVideo', 'decodeClips', 'writeVideo', 'synthesizeDataset', 'synthesizeAva', 'avaSynthVideo',
  // models
  'createModel', 'listModels', 'modelConfig', 'loadEncoder', 'saveEncoder', 'readCheckpoint', 'loadPlainWeights', 'exportModel', 'exportOnnx', 'modelSummary',
  // reports and programs
  'renderReport', 'writeReport', 'runDemo', 'runStudy', 'version',
];
const CLASSES = ['Tensor', 'Module', 'ResNet3d', 'CvrlModel', 'VideoLoader', 'VideoCache', 'ProjectionHead', 'LinearClassifier', 'FineTuneHead', 'VideoClassifier', 'RoiActionHead', 'TrainingDiverged', 'ReportError'];
const NAMESPACES = { torch: ['tidy', 'randn', 'F', 'ProcessGroup'], nn: ['Sequential', 'Conv3d', 'saveSafetensors', 'loadSafetensors'], optim: ['SGD', 'LARS', 'AdamW'], models: ['createModel'], video: ['openDataset', 'VideoLoader', 'sampleClipPair'] };

test("the public names import from 'cvrl' (dist, through the exports map) as functions and classes", async () => {
  const m = await load().catch((e: Error) => assert.fail(`import('cvrl') failed (is dist/ built? npm run build:ts): ${e.message}`));
  const notFunctions = [...FUNCTIONS, ...CLASSES].filter((n) => typeof m[n] !== 'function');
  assert.deepEqual(notFunctions, [], 'missing or not functions');
  for (const [ns, names] of Object.entries(NAMESPACES)) {
    const space = m[ns] as Record<string, unknown> | undefined;
    assert.ok(space, `namespace ${ns}`);
    assert.deepEqual(names.filter((n) => space[n] === undefined), [], `missing from ${ns}`);
  }
  assert.equal((m.version as () => string)(), JSON.parse(readFileSync('package.json', 'utf8')).version);
  // Not only present: a model builds and the loss computes.
  const torch = m.torch as { tidy<T>(f: () => T): T; randn(s: number[]): unknown };
  const loss = torch.tidy(() => (m.ntXent as (v: unknown[]) => { item(): number })([torch.randn([4, 8]), torch.randn([4, 8])]).item());
  assert.ok(Number.isFinite(loss) && loss > 0);
});

test("every name the README's code imports from 'cvrl' exists", async () => {
  const m = await load();
  const readme = readFileSync('README.md', 'utf8');
  const imported = [...readme.matchAll(/import \{([^}]+)\} from 'cvrl'/g)].flatMap((x) => x[1].split(',').map((s) => s.trim().replace(/^type\s+/, '')).filter((s) => /^\w+$/.test(s)));
  assert.ok(imported.length >= 5, `the README imports only ${imported.length} names from 'cvrl'`);
  const typeOnly = /^(PretrainConfig|VideoEmbedding|EmbedVideoOptions)$/;
  assert.deepEqual(imported.filter((n) => !typeOnly.test(n) && m[n] === undefined), []);
  // Library calls named in the README's prose ("library: `pretrain(...)`", "`initDistributed()`").
  const called = [...readme.matchAll(/`([a-z][A-Za-z]+)\(/g)].map((x) => x[1]);
  const methods = new Set(['parameters', 'namedParameters', 'buffers', 'children', 'train', 'to', 'stateDict', 'loadStateDict', 'tidy', 'keep', 'fn']);
  const torch = m.torch as Record<string, unknown>;
  assert.deepEqual(called.filter((n) => !methods.has(n) && m[n] === undefined && torch[n] === undefined), []);
});
