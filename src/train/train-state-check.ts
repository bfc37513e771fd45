/**
 * Shape of a training checkpoint's "train" metadata, checked on resume before any of it reaches the
 * optimiser (whose groups are Object.assign-ed into live options) or the data position.
 */
const count = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const scalar = (v: unknown) => typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

/** Problems with `train`, each naming its field (train.step, optimizer.groups[0].lr, ...). */
export function trainStateProblems(train: unknown): string[] {
  if (!isObject(train)) return ['train must be an object'];
  const p: string[] = [];
  for (const k of ['step', 'epoch', 'batchInEpoch', 'scheduleStep'] as const) {
    if (!count(train[k])) p.push(`train.${k} must be a non-negative integer, got ${JSON.stringify(train[k])}`);
  }
  if (train.worldSize !== undefined && !(count(train.worldSize) && (train.worldSize as number) >= 1)) p.push(`train.worldSize must be a positive integer, got ${JSON.stringify(train.worldSize)}`);
  // NaN is stored as null (a checkpoint before the first step).
  if (train.lastLoss !== null && typeof train.lastLoss !== 'number') p.push(`train.lastLoss must be a number, got ${JSON.stringify(train.lastLoss)}`);
  if (!isObject(train.config)) p.push('train.config must be an object');
  const o = train.optimizer;
  if (!isObject(o)) return [...p, 'train.optimizer must be an object'];
  if (!count(o.steps)) p.push(`optimizer.steps must be a non-negative integer, got ${JSON.stringify(o.steps)}`);
  if (!Array.isArray(o.groups)) p.push('optimizer.groups must be an array of option objects');
  else {
    o.groups.forEach((g, i) => {
      if (!isObject(g)) return p.push(`optimizer.groups[${i}] must be an object`);
      for (const [k, v] of Object.entries(g)) if (!scalar(v)) p.push(`optimizer.groups[${i}].${k} must be a finite number or a boolean, got ${JSON.stringify(v)}`);
    });
  }
  if (!isObject(o.perParam) || !Object.entries(o.perParam).every(([k, v]) => count(Number(k)) && isObject(v) && Object.values(v).every((x) => typeof x === 'number'))) {
    p.push('optimizer.perParam must map parameter indices to objects of numbers');
  }
  return p;
}
