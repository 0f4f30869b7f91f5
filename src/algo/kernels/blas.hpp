#pragma once
// The BLAS tsbatch's dense products run on (Debian's OpenBLAS, serial build;
// cmake/tsbatch_blas.cmake): the one place that knows which library it is.
#include <string>

namespace tsbatch {

/// Before the first product: one BLAS thread per rank, since the ranks are the parallelism
/// and a threaded product would compete with the other ranks of the node for its cores.
/// (The serial build has one anyway; this also holds where a threaded one is loaded.)
void use_one_blas_thread();

/// The library, its build and the kernels it picked for this CPU, e.g. "OpenBLAS 0.3.21
/// DYNAMIC_ARCH ... SkylakeX SINGLE_THREADED": the results of the BLAS paths are the same
/// bits for the same binary, CPU type and this string (README: determinism of correlation).
std::string blas_description();

/// Empty, or a sentence for the user when OpenBLAS did not recognise this CPU and fell back
/// to generic SSE kernels although the CPU runs AVX2 + FMA or AVX-512 (OpenBLAS picks kernels
/// by CPU model, and a virtual machine or a newer CPU may hide or lack one): the products then
/// run at about half their speed, and OPENBLAS_CORETYPE names the kernels to use.
std::string blas_kernel_hint();

}  // namespace tsbatch
