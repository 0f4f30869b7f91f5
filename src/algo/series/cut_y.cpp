// `cut_y`: splits each series by a condition on its values.
//
// Contract (tests/unit/algo/series/test_cut_y.cpp checks it against a direct per-point evaluation and
// numpy boolean masks in tests/fixtures/operators/cut_y.yaml):
// - `condition` is an expression over `y` in tsbatch's own grammar
//   (algo/condition/condition.hpp): comparisons that chain (`1 < y <= 10`), and/or/not, abs(),
//   isnan(), arithmetic. It is parsed once when the step is bound; a syntax error is a
//   parameter error that names the column of the mistake. Nothing is ever evaluated as code.
// - Two outputs: `match` holds the points where the condition holds, `complement` every
//   other point. A NaN value never matches (ALGORITHMS.md), so it is always in complement.
// - Every input series appears in both outputs, possibly empty (empty results are counted
//   in the run report, never dropped). Timestamps and values are copied unchanged.
//
// Speed: the condition runs block-wise over the values into a byte mask. Blocks of 64 points
// that all go to one output are appended whole; mixed blocks are split without a branch
// per point. Outputs grow by appending (no zero-filled space to overwrite).
#include "algo/series/cut_y.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "algo/operator.hpp"
#include "algo/param_fields.hpp"

namespace tsbatch {
namespace {

constexpr std::size_t mask_block = 4096;

class cut_y_op final : public multi_operator {
public:
    explicit cut_y_op(condition c) : cond_(std::move(c)) {}
    std::vector<column_spec> columns(std::size_t) const override { return {}; }
    void apply(series_view in, const output_sinks& out) const override {
        cut_y(in, cond_, out.series(0), out.series(1));
    }

private:
    condition cond_;
};

}  // namespace

condition parse_condition_param(const std::string& text, const std::string& name) {
    try {
        return condition::parse(text);
    } catch (const condition_error& e) {
        throw param_error(name, std::string("does not parse: ") + e.what());
    }
}

void cut_y(series_view in, const condition& cond, series_sink& match, series_sink& complement) {
    const std::size_t n = in.size();
    // The whole mask first, so both outputs can reserve their exact share.
    thread_local std::vector<std::uint8_t> mask;
    mask.resize(n);
    std::size_t matched = 0;
    for (std::size_t b = 0; b < n; b += mask_block) {
        const std::size_t len = std::min(mask_block, n - b);
        cond.evaluate(in.value.subspan(b, len), std::span<std::uint8_t>(mask.data() + b, len));
        for (std::size_t i = b; i < b + len; ++i) matched += mask[i];
    }
    match.reserve_more(matched);
    complement.reserve_more(n - matched);
    // Sensor data mostly meets a condition for long stretches: a block of 64 points that
    // goes entirely to one output is appended in one piece. A mixed block is split without
    // a branch into two small buffers (each point written to both, each cursor advancing
    // only for its own output), which are then appended.
    constexpr std::size_t piece = 64;
    std::array<std::int64_t, piece> mt{}, ct{};
    std::array<double, piece> mv{}, cv{};
    for (std::size_t b = 0; b < n; b += piece) {
        const std::size_t len = std::min(piece, n - b);
        const auto t = in.time.subspan(b, len);
        const auto v = in.value.subspan(b, len);
        std::size_t in_match = 0;
        for (std::size_t i = b; i < b + len; ++i) in_match += mask[i];
        if (in_match == len) {
            match.append(t, v);
            continue;
        }
        if (in_match == 0) {
            complement.append(t, v);
            continue;
        }
        std::size_t im = 0, ic = 0;
        for (std::size_t i = 0; i < len; ++i) {
            const std::size_t k = mask[b + i];
            mt[im] = t[i];
            mv[im] = v[i];
            ct[ic] = t[i];
            cv[ic] = v[i];
            im += k;
            ic += 1 - k;
        }
        match.append({mt.data(), im}, {mv.data(), im});
        complement.append({ct.data(), ic}, {cv.data(), ic});
    }
}

namespace {

// The condition as written; bind() parses it (parse_condition_param, shared with cut_by_reference).
struct cut_y_settings {
    std::string condition;

    static const param_fields<cut_y_settings>& fields();
};

const param_fields<cut_y_settings>& cut_y_settings::fields() {
    using P = cut_y_settings;
    static const auto fields =
        param_fields<P>()
            .string("condition", &cut_y_settings::condition,
                    "expression over y: comparisons (chained as in 1 < y <= 10), and, or, not, abs(), isnan(), + - * /")
            .required();
    return fields;
}

}  // namespace

operator_def make_cut_y_def() {
    operator_def d = describe_operator<cut_y_settings>(
        "cut_y", "split each series by a condition on its values into match and complement (NaN goes to complement)",
        {.per_point = 1.5, .per_series = 50.0});
    d.outputs = {{"match", data_kind::series, "the points where the condition holds"},
                 {"complement", data_kind::series, "every other point, NaN values included"}};
    d.bind = [](const param_values& v) {
        const cut_y_settings s = cut_y_settings::fields().read(v);
        bound_operator b;
        b.multi = std::make_unique<cut_y_op>(parse_condition_param(s.condition, "condition"));
        return b;
    };
    return d;
}

}  // namespace tsbatch
