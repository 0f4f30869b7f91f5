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

}  // namespace tsbatch
