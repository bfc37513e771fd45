/** The typed Tensor API over libtorch. */
export { Tensor, type Shape, type TensorOrScalar } from './tensor.js';
export { type DType, DTYPES, DTYPE_BYTES, isDType, isFloating, type AnyTypedArray } from './dtype.js';
export * from './creation.js';
export * as F from './functional.js';
export { noGrad, enableGrad, isGradEnabled, autocast, withoutAutocast, sharedAutocastCasts } from './autograd.js';
export { tidy, keep, disposeAll } from './scope.js';
export * from './runtime.js';
export { ProcessGroup, distributedAvailable, type ProcessGroupOptions } from './distributed.js';
