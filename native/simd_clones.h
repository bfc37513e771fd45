// Loops that the compiler vectorises are also built for AVX2 and AVX-512 and picked when the library
// loads (the addon itself targets baseline x86-64, whose SSE2 is 4 floats wide). No FMA: a product
// and a sum stay two roundings (binding.gyp's -ffp-contract=off; the AVX-512 target has FMA), so
// results are bit-identical on every CPU.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CVRL_WIDE __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CVRL_WIDE
#endif
