#pragma once
// Reductions whose result does not depend on the rank count: every rank contributes one
// partial per chunk it owns (its chunks are consecutive, ranks in chunk order), the partials
// of all chunks are gathered, and every rank folds them in chunk order. Floating-point sums
// therefore come out bit-identical on 1, 2 or N ranks.
#include <span>
#include <vector>

#include "parallel/comm.hpp"

namespace tsbatch {

/// Collective. `local_partials` holds this rank's per-chunk partials in chunk order.
template <class T, class Fold>
T reduce_in_chunk_order(const comm& c, std::span<const T> local_partials, T init, Fold fold) {
    const std::vector<T> all = c.allgatherv(local_partials);
    for (const T& p : all) init = fold(init, p);
    return init;
}

/// Sum of per-chunk partial sums in chunk order (the common case).
inline double sum_in_chunk_order(const comm& c, std::span<const double> local_partials) {
    return reduce_in_chunk_order(c, local_partials, 0.0, [](double a, double b) { return a + b; });
}

}  // namespace tsbatch
