#pragma once
// The distributed `pattern_search`: every rank searches its own series with the kernel
// (algo/kernels/pattern_search.hpp, which holds the whole contract), and the ranks' top-k
// lists merge into one global top-k, the same on every rank for any number of ranks.
#include <cstdint>
#include <span>
#include <vector>

#include "algo/kernels/pattern_search.hpp"
#include "core/series.hpp"
#include "parallel/comm.hpp"

namespace tsbatch {

/// Collective: the global top-k of the matches of `pattern` in every series of the run, in
/// the order above, identical on every rank for any number of ranks. `local_series` are this
/// rank's series, whose global rows are first_row, first_row + 1, ...; series shorter than
/// the pattern are skipped. Throws param_error (check_pattern_params, the same on every
/// rank), and input_error on every rank when the pattern is longer than every series of the
/// run (naming both lengths). Errors of one rank's local work reach every rank (agreed_phase).
/// `stats`, when given, receives this rank's counts.
std::vector<pattern_match> pattern_search(const comm& c, std::span<const series_view> local_series,
                                          std::uint64_t first_row, std::span<const double> pattern,
                                          const pattern_params& p, pattern_search_stats* stats = nullptr);

}  // namespace tsbatch
