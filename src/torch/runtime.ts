/** Process-wide controls: threads, seeds, RNG state, build facts. */
import { native, type NativeInfo } from '../native/addon.js';
import { Tensor, wrap } from './tensor.js';

export type TorchInfo = NativeInfo;

export function info(): TorchInfo {
  return native.info();
}
/** Intra-op threads for CPU kernels (libtorch defaults to 1 here; set it explicitly). */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`thread count must be a positive integer, got ${n}`);
  native.setNumThreads(n);
}
export function getNumThreads(): number {
  return native.getNumThreads();
}
/** Seeds the global generator used by randn/rand/dropout and the initialisers. */
export function manualSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
  native.manualSeed(seed);
}
/** The global CPU generator's state as a uint8 tensor (for checkpoints). */
export function getRngState(): Tensor {
  return wrap(native.getRngState());
}
export function setRngState(state: Tensor): void {
  native.setRngState(state.handle);
}
/** Native tensor handles alive in this thread (a leak probe). */
export function liveTensorCount(): number {
  return native.liveTensors();
}
/** Bytes of host tensor storage that this thread's handles keep alive, each storage counted once (V8 is told of rises at once, of falls past a slack). */
export function heldHostBytes(): number {
  return native.heldHostBytes();
}
export function cudaAvailable(): boolean {
  return native.info().cudaAvailable;
}
