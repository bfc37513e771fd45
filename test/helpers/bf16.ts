/** Whether this CPU runs bfloat16 convolutions (oneDNN has them from AVX-512 on, none for AVX2). */
import { info } from '../../src/torch/index.js';

/** A skip reason for tests that run bfloat16 convolutions, or false where this CPU has them. */
export const noBf16Convolutions: string | false = info().bf16Convolutions ? false : 'this CPU has no bfloat16 convolutions (oneDNN has them from AVX-512 on)';
