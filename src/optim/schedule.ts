/**
 * Learning-rate schedules as pure functions of the step, wrapped in a small stateful object whose
 * state (the step) is saved in checkpoints. `step()` advances and returns the new lr.
 */
export type ScheduleSpec =
  | { kind: 'constant'; lr: number }
  | { kind: 'warmup-cosine'; lr: number; warmupSteps: number; totalSteps: number; warmupStartLr?: number; finalLr?: number }
  | { kind: 'step'; lr: number; stepSize: number; gamma?: number }
  | { kind: 'multistep'; lr: number; milestones: number[]; gamma?: number };

/** The learning rate at a given (0-based) step. */
export function lrAt(s: ScheduleSpec, step: number): number {
  switch (s.kind) {
    case 'constant':
      return s.lr;
    case 'warmup-cosine': {
      const start = s.warmupStartLr ?? 0;
      const final = s.finalLr ?? 0;
      if (step < s.warmupSteps) return start + ((s.lr - start) * step) / s.warmupSteps;
      const span = Math.max(1, s.totalSteps - s.warmupSteps);
      const progress = Math.min(1, (step - s.warmupSteps) / span);
      return final + 0.5 * (s.lr - final) * (1 + Math.cos(Math.PI * progress));
    }
    case 'step':
      return s.lr * (s.gamma ?? 0.1) ** Math.floor(step / s.stepSize);
    case 'multistep':
      return s.lr * (s.gamma ?? 0.1) ** s.milestones.filter((m) => m <= step).length;
  }
}

function validate(s: ScheduleSpec): void {
  const bad = (m: string): never => { throw new RangeError(`schedule '${s.kind}': ${m}`); };
  if (!(s.lr >= 0)) bad(`lr must be >= 0, got ${s.lr}`);
  if (s.kind === 'warmup-cosine') {
    if (!Number.isInteger(s.warmupSteps) || s.warmupSteps < 0) bad(`warmupSteps must be a non-negative integer, got ${s.warmupSteps}`);
    if (!Number.isInteger(s.totalSteps) || s.totalSteps < s.warmupSteps) bad(`totalSteps must be an integer >= warmupSteps, got ${s.totalSteps}`);
  }
  if (s.kind === 'step' && !(Number.isInteger(s.stepSize) && s.stepSize > 0)) bad(`stepSize must be a positive integer, got ${s.stepSize}`);
}

export class LrSchedule {
  #step = 0;
  constructor(readonly spec: ScheduleSpec) {
    validate(spec);
  }
  /** The lr for the current step. */
  get lr(): number {
    return lrAt(this.spec, this.#step);
  }
  get currentStep(): number {
    return this.#step;
  }
  /** Advances one step and returns the new lr. */
  step(): number {
    this.#step++;
    return this.lr;
  }
  state(): { step: number } {
    return { step: this.#step };
  }
  loadState(s: { step: number }): void {
    if (!Number.isInteger(s.step) || s.step < 0) throw new RangeError(`schedule state step must be a non-negative integer, got ${s.step}`);
    this.#step = s.step;
  }
}
