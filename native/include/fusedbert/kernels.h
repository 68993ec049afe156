// fusedbert/kernels.h — the kernel ABI: every entry point of fusedbert.fatbin, declared and
// documented once. The Java launch classes (org.fusedbert.kernels) pack arguments in exactly the
// order declared here; the CPU simulator builds its kernel registry from FB_KERNEL_LIST below.
//
// Conventions (see docs/ARCHITECTURE.md, "Kernel source conventions"):
//  - Names: fb_<family>_<what>, one family per native/kernels/<family>.cu, whose sections below
//    follow the same order as FB_KERNEL_LIST.
//  - Declaration: extern "C" __global__ void fb_<family>_<what>(...); the definition in the .cu
//    repeats the signature exactly (include this header there, so the compiler checks it).
//  - Parameter types: only what KernelArgs packs — pointers to device memory ('p'), int or
//    unsigned int ('i'), float ('f'), long long / unsigned long long ('l'). The simulator
//    derives each kernel's signature string from these types and rejects a launch whose
//    KernelArgs.signature() differs; any other parameter type fails the simulator's build.
//  - Documentation, per kernel, in this shape:
//      /**
//       * One sentence: what it computes.
//       * Launch: grid (..), block (..), dynamic shared memory (.. bytes).
//       * @param name  [shape] dtype, layout; read / written / read-written
//       * ...
//       * Spills: only where ptxas reports spill bytes, one line saying why.
//       */
//  - List each kernel once in FB_KERNEL_LIST as X(fb_<family>_<what>) \ (one line per kernel,
//    grouped by family, in the order of the sections).
#ifndef FUSEDBERT_KERNELS_H
#define FUSEDBERT_KERNELS_H

#include "fb_device.cuh"

// ==== kernel families: one section each (attention, layernorm, cross_entropy, embedding, adam,
// ==== masking, ...), added by the .cu that defines them ====

// ==== the registry: every entry point above, once ====
// Add one line per kernel, `  X(fb_<family>_<what>) \`, above the closing comment.
#define FB_KERNEL_LIST(X) \
  /* end of FB_KERNEL_LIST */

#endif  // FUSEDBERT_KERNELS_H
