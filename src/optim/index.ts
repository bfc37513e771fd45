/** Optimisers, gradient clipping and learning-rate schedules. */
export { Optimizer, type ParamGroup, type GroupSpec, type OptimizerState } from './optimizer.js';
export { SGD, type SgdOptions } from './sgd.js';
export { LARS, type LarsOptions } from './lars.js';
export { AdamW, type AdamWOptions } from './adamw.js';
export { clipGradNorm, clipGradValue } from './clip.js';
export { LrSchedule, lrAt, type ScheduleSpec } from './schedule.js';
export { weightDecayGroups } from './groups.js';
