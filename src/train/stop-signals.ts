/** SIGINT/SIGTERM during training: the first one asks for a checkpoint at the next step, a second one exits now. */
export class StopSignals {
  #signal: string | null = null;
  #at = 0;
  readonly #handlers = { SIGINT: this.#on('SIGINT'), SIGTERM: this.#on('SIGTERM') };

  constructor() {
    process.on('SIGINT', this.#handlers.SIGINT);
    process.on('SIGTERM', this.#handlers.SIGTERM);
  }

  get requested(): boolean {
    return this.#signal !== null;
  }

  #on(sig: string): () => void {
    return () => {
      // A terminal's Ctrl-C reaches both bin/cvrl.js and this process, and the launcher forwards it
      // again: the same signal within half a second is one event.
      if (this.#signal === sig && performance.now() - this.#at < 500) return;
      // A hung read or an impatient user: the second signal exits without waiting for the step.
      if (this.#signal !== null) process.exit(130);
      this.#signal = sig;
      this.#at = performance.now();
    };
  }

  dispose(): void {
    process.off('SIGINT', this.#handlers.SIGINT);
    process.off('SIGTERM', this.#handlers.SIGTERM);
  }
}
