#pragma once
// `sax`: Symbolic Aggregate approXimation (Lin et al. 2003), one table row per series: the
// word (one letter per PAA segment) and the normalised PAA values behind it. Breakpoints are
// the N(0,1) quantiles (classic SAX) or the series' own PAA quantiles (IKATS). See sax.cpp for
// the exact contract.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "algo/kernels/quantiles.hpp"
#include "algo/param_fields.hpp"
#include "core/series.hpp"
#include "core/table.hpp"

namespace tsbatch {

enum class sax_breakpoints { gaussian, empirical };
enum class sax_normalize { zscore, none };
// Their names, in enum order (the parameter choices).
inline constexpr std::array sax_breakpoints_names{"gaussian", "empirical"};
inline constexpr std::array sax_normalize_names{"zscore", "none"};

struct sax_params {
    std::int64_t alphabet_size = 8;  ///< 2..26 letters 'a'..
    std::int64_t word_length = 16;   ///< PAA segments, 1..max_paa_segments
    sax_breakpoints breakpoints = sax_breakpoints::gaussian;
    sax_normalize normalize = sax_normalize::zscore;

    /// The parameters' declarations: schema, defaults and bounds; fields().read(values) gives
    /// checked parameters (check_sax_params included) or throws param_error naming one.
    static const param_fields<sax_params>& fields();
};

inline constexpr std::int64_t min_sax_alphabet = 2;
inline constexpr std::int64_t max_sax_alphabet = 26;

/// The symbol of a segment without any non-NaN value.
inline constexpr char sax_missing_symbol = '?';

/// Throws param_error when `p` breaks a constraint (alphabet_size outside 2..26, word_length
/// outside [1, max_paa_segments]).
void check_sax_params(const sax_params& p);

/// The columns `word` (string) and `paa_1` .. `paa_W` (float64).
std::vector<column_spec> sax_columns(const sax_params& p);

/// IKATS's empirical breakpoints: the quantiles i / alphabet_size (i = 1 .. a-1) of the
/// non-NaN values of `paa`, by linear interpolation between order statistics at position
/// (m - 1) * i / a (numpy.percentile's default method, position computed exactly). Empty when
/// `paa` has no non-NaN value.
std::vector<double> sax_empirical_breakpoints(std::span<const double> paa, std::int64_t alphabet_size);

/// The letter of `v`: 'a' + the number of breakpoints strictly below v (IKATS's rule: a value
/// on a breakpoint takes the lower letter); sax_missing_symbol for NaN.
char sax_symbol(double v, std::span<const double> breakpoints) noexcept;

/// SAX with bound parameters; the gaussian breakpoints are computed once.
class sax_encoder {
public:
    /// Throws param_error for invalid `p`.
    explicit sax_encoder(const sax_params& p);
    const sax_params& params() const noexcept { return p_; }
    /// Writes the word (word_length letters) and the normalised PAA values (paa.size() ==
    /// word_length). Never throws for any series.
    void encode(series_view in, std::string& word, std::span<double> paa) const;

private:
    sax_params p_;
    std::vector<double> gaussian_;
};

}  // namespace tsbatch
