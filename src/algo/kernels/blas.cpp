#include "algo/kernels/blas.hpp"

#include <cblas.h>

#include <mutex>

namespace tsbatch {

void use_one_blas_thread() {
    static std::once_flag once;
    std::call_once(once, [] { openblas_set_num_threads(1); });
}

std::string blas_description() {
    const char* config = openblas_get_config();
    return config ? config : "OpenBLAS";
}

}  // namespace tsbatch
