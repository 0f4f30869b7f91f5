// `sax`: one table row per series, columns `word` (string) and paa_1 .. paa_W (float64).
//
// Contract (tests/fixtures/make_operator_fixtures.py is an independent numpy reference):
// - PAA (paa.hpp, by=points): classic PAA over equal point counts, fractional boundaries
//   weighted, NaN values left out with the weights renormalised. A segment without any
//   non-NaN value is NaN and its letter is '?'. Fewer points than word_length work as in paa
//   (a point spreads over several segments). An empty or all-NaN series gives NaN in every
//   paa column and a word of word_length '?'.
// - normalize=zscore (classic SAX): the paa columns are the PAA of (x - mean) / std, mean and
//   std over the series' non-NaN values, std the *population* std (ddof 0, as Lin et al. and
//   IKATS). Since PAA is a weighted mean this is (PAA(x) - mean) / std, which is how it is
//   computed. Exceptions:
//     * constant series (max == min over the non-NaN values, one value included): every
//       non-NaN segment is exactly 0;
//     * near-constant series, std < 1e-12 * max|x|: the spread is rounding noise, so the
//       series is centred but not scaled (values PAA(x) - mean, which are tiny);
//     * a non-finite mean or std (infinite values, or overflow): every segment is NaN ('?').
//   normalize=none: the raw PAA values (IKATS's default); a constant series gives exactly its
//   value in every non-NaN segment (so equal values stay equal, whatever the PAA's rounding).
// - breakpoints=gaussian: the a-1 quantiles of N(0,1) at i/a (classic SAX; computed for
//   i/a <= 1/2 and mirrored, so they are exactly antisymmetric and the middle one of an even
//   alphabet is exactly 0). breakpoints=empirical (IKATS): the quantiles i/a of the series'
//   own non-NaN PAA values (the W segment values, not the raw points), by numpy.percentile's
//   default linear interpolation at position (m-1)*i/a among the m sorted values; the
//   position is computed exactly in integers (IKATS went through 100/a in floating point,
//   which can land just below an integer). The letters then split the segments into bins of
//   about equal counts.
// - Letter = 'a' + number of breakpoints strictly below the value (IKATS's rule: a value on a
//   breakpoint takes the lower letter, e.g. a constant series gives 'd' for a = 8 gaussian,
//   and 'a' everywhere with empirical breakpoints, which all coincide).
//
// Speed: one vectorised statistics pass (quality_stats' moments kernel, or its lighter range
// kernel for normalize=none) and one PAA pass over the values (paa's running boundaries);
// normalising and lettering touch only the W segment values. The gaussian breakpoints are
// computed once per bound operator.
#include "algo/series/sax.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <numbers>

#include "algo/operator.hpp"
#include "algo/series/paa.hpp"
#include "algo/series/quality_stats.hpp"

namespace tsbatch {
namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

// Below this std relative to max|x| the series' spread is rounding noise (1e-12 is far below
// any sensor's precision, far above the ~1e-16 rounding of the moments).
constexpr double near_constant_rel = 1e-12;

// (PAA - mean) / std over the segments, with the contract's exceptions.
void normalise(const value_moments& m, std::span<double> out) {
    if (m.count == 0) return;  // every segment is already NaN
    const double sd = std::sqrt(m.variance(0));
    if (!std::isfinite(m.mean) || !std::isfinite(sd)) {
        std::fill(out.begin(), out.end(), nan_v);
        return;
    }
    if (m.min == m.max) {
        for (double& x : out) x = x == x ? 0.0 : nan_v;
        return;
    }
    const double mu = m.mean;
    if (sd < near_constant_rel * std::max(std::fabs(m.min), std::fabs(m.max))) {
        for (double& x : out) x -= mu;
        return;
    }
    for (double& x : out) x = (x - mu) / sd;
}

// normalize=none: a constant series' segments are exactly its value (the PAA's sums may round
// some of them apart, which would split them across empirical breakpoints).
void pin_constant(const value_range& r, std::span<double> out) {
    if (r.count == 0 || r.min != r.max) return;
    for (double& x : out) x = x == x ? r.min : x;
}

class sax_op final : public table_operator {
public:
    explicit sax_op(const sax_params& p) : enc_(p), columns_(sax_columns(p)) {}
    const std::vector<column_spec>& columns() const override { return columns_; }
    void apply(series_view in, row_sink& row) const override {
        std::string word;
        std::vector<double> paa_values(static_cast<std::size_t>(enc_.params().word_length));
        enc_.encode(in, word, paa_values);
        row.set(0, std::move(word));
        for (std::size_t k = 0; k < paa_values.size(); ++k) row.set(k + 1, paa_values[k]);
    }

private:
    sax_encoder enc_;
    std::vector<column_spec> columns_;
};

}  // namespace

std::vector<double> sax_empirical_breakpoints(std::span<const double> paa, std::int64_t alphabet_size) {
    std::vector<double> sorted;
    sorted.reserve(paa.size());
    for (const double x : paa)
        if (x == x) sorted.push_back(x);
    if (sorted.empty() || alphabet_size < 2) return {};
    std::sort(sorted.begin(), sorted.end());
    const auto a = static_cast<std::uint64_t>(alphabet_size);
    const std::uint64_t last = sorted.size() - 1;
    std::vector<double> bp;
    bp.reserve(a - 1);
    for (std::uint64_t i = 1; i < a; ++i) {
        // Position last * i / a as index k plus fraction r / a, exactly.
        const std::uint64_t k = last * i / a;
        const std::uint64_t r = last * i % a;
        bp.push_back(r == 0 ? sorted[k]
                            : numpy_lerp(sorted[k], sorted[k + 1], static_cast<double>(r) / static_cast<double>(a)));
    }
    return bp;
}

char sax_symbol(double v, std::span<const double> breakpoints) noexcept {
    if (v != v) return sax_missing_symbol;
    // IKATS's loop: count the breakpoints exceeded, stopping at the first one that is not.
    char letter = 'a';
    for (const double b : breakpoints) {
        if (!(v > b)) break;
        ++letter;
    }
    return letter;
}

void check_sax_params(const sax_params& p) {
    if (p.alphabet_size < min_sax_alphabet)
        throw param_error("alphabet_size", "must be >= " + std::to_string(min_sax_alphabet) + ", got " +
                                               std::to_string(p.alphabet_size));
    if (p.alphabet_size > max_sax_alphabet)
        throw param_error("alphabet_size", "must be <= " + std::to_string(max_sax_alphabet) + ", got " +
                                               std::to_string(p.alphabet_size));
    if (p.word_length < 1 || p.word_length > max_paa_segments)
        throw param_error("word_length", "must be in [1, " + std::to_string(max_paa_segments) + "], got " +
                                             std::to_string(p.word_length));
    const auto b = static_cast<int>(p.breakpoints);
    if (b < 0 || b > static_cast<int>(sax_breakpoints::empirical))
        throw param_error("breakpoints", "is not a known breakpoint rule");
    const auto n = static_cast<int>(p.normalize);
    if (n < 0 || n > static_cast<int>(sax_normalize::none))
        throw param_error("normalize", "is not a known normalisation");
}

const param_fields<sax_params>& sax_params::fields() {
    using P = sax_params;
    static const auto fields =
        param_fields<P>(check_sax_params)
            .integer("alphabet_size", &P::alphabet_size, "number of letters ('a' .. )")
            .min(min_sax_alphabet)
            .max(max_sax_alphabet)
            .integer("word_length", &P::word_length,
                     "letters per word: PAA segments of equal point counts (fractional boundaries weighted)")
            .min(1)
            .max(max_paa_segments)
            .choice(
                "breakpoints", &P::breakpoints, sax_breakpoints_names,
                "gaussian: N(0,1) quantiles (classic SAX); empirical: quantiles of the series' own PAA values (IKATS)")
            .choice("normalize", &P::normalize, sax_normalize_names,
                    "zscore: (x - mean) / population std of the series before PAA; none: raw values");
    return fields;
}

std::vector<column_spec> sax_columns(const sax_params& p) {
    std::vector<column_spec> cols;
    cols.reserve(static_cast<std::size_t>(p.word_length) + 1);
    cols.push_back({"word", column_type::string, "",
                    "one letter per segment, 'a' = lowest; '?' for a segment without non-NaN values"});
    const std::string what = p.normalize == sax_normalize::zscore ? "z-normalised PAA value" : "PAA value";
    for (std::int64_t k = 1; k <= p.word_length; ++k)
        cols.push_back({"paa_" + std::to_string(k), column_type::float64, "",
                        what + " of segment " + std::to_string(k) + " (NaN when it has no non-NaN value)"});
    return cols;
}

sax_encoder::sax_encoder(const sax_params& p) : p_(p) {
    check_sax_params(p_);
    if (p_.breakpoints == sax_breakpoints::gaussian) gaussian_ = sax_gaussian_breakpoints(p_.alphabet_size);
}

void sax_encoder::encode(series_view in, std::string& word, std::span<double> paa_values) const {
    paa(in, paa_params{p_.word_length, paa_by::points}, paa_values);
    if (p_.normalize == sax_normalize::zscore)
        normalise(compute_value_moments(in.value), paa_values);
    else
        pin_constant(compute_value_range(in.value), paa_values);
    std::vector<double> empirical;
    std::span<const double> bp = gaussian_;
    if (p_.breakpoints == sax_breakpoints::empirical) {
        empirical = sax_empirical_breakpoints(paa_values, p_.alphabet_size);
        bp = empirical;
    }
    word.resize(paa_values.size());
    for (std::size_t k = 0; k < paa_values.size(); ++k) word[k] = sax_symbol(paa_values[k], bp);
}

operator_def make_sax_def() {
    // A statistics pass and a PAA pass over the values (~350 M points/s on one core, paa alone
    // ~900 M on the same data); the word costs O(W).
    operator_def d = describe_operator<sax_params>(
        "sax",
        "symbolic aggregate approximation: one row per series, a word of word_length letters and the "
        "normalised PAA values behind it (columns word, paa_1..paa_W)",
        {2.0, 60.0});
    d.outputs = {{"", data_kind::table, ""}};
    d.bind = bind_from_fields<sax_params, sax_op, &bound_operator::table>;
    return d;
}

}  // namespace tsbatch
