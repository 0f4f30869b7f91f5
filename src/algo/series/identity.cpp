// `identity`: copies every series unchanged. It exists so pipelines, I/O and rank-count
// invariance can be tested without any numerical operator in the way, and so a run can
// re-stage a selection of a collection (input.select) into a new file.
#include <algorithm>

#include "algo/operator.hpp"

namespace tsbatch {
namespace {

class identity_op final : public series_operator {
public:
    void apply(series_view in, series_sink& out) const override { out.append(in.time, in.value); }
};

}  // namespace

operator_def make_identity_def() {
    operator_def d;
    d.name = "identity";
    d.summary = "copy every series unchanged (re-stage a selection; pipeline tests)";
    d.cost = {1.0, 10.0};
    d.bind = [](const param_values&) {
        bound_operator b;
        b.series = std::make_unique<identity_op>();
        return b;
    };
    return d;
}

}  // namespace tsbatch
