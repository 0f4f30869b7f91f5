#include "algo/operator.hpp"

namespace tsbatch {

const param_spec* operator_def::find_param(const std::string& pname) const {
    for (const auto& p : params)
        if (p.name == pname) return &p;
    return nullptr;
}

int operator_def::default_series_output() const {
    for (std::size_t k = 0; k < outputs.size(); ++k)
        if (outputs[k].kind == data_kind::series) return static_cast<int>(k);
    return -1;
}

int operator_def::find_output(const std::string& oname) const {
    if (oname.empty()) return outputs.size() == 1 ? 0 : default_series_output();
    for (std::size_t k = 0; k < outputs.size(); ++k)
        if (outputs[k].name == oname) return static_cast<int>(k);
    return -1;
}

// The catalogue, in the order `tsbatch catalogue` lists it. Registering an operator is one
// line here: X(name) declares make_<name>_def(), which the operator's file defines.
#define TSBATCH_OPERATORS(X) \
    X(identity)              \
    X(quality_stats)         \
    X(resample)              \
    X(scale)                 \
    X(slope)                 \
    X(unwrap)                \
    X(cut)                   \
    X(cut_y)                 \
    X(cut_by_reference)      \
    X(rolling)               \
    X(paa)                   \
    X(discretize)            \
    X(sax)                   \
    X(outliers)              \
    X(sta_lta)               \
    X(features)              \
    X(correlation)           \
    X(pca)                   \
    X(kmeans)                \
    X(pattern_search)        \
    X(motifs)                \
    X(matrix_profile)

#define TSBATCH_DECLARE_OPERATOR(name) operator_def make_##name##_def();
TSBATCH_OPERATORS(TSBATCH_DECLARE_OPERATOR)
#undef TSBATCH_DECLARE_OPERATOR

const std::vector<operator_def>& operator_catalogue() {
    static const std::vector<operator_def> defs = [] {
        std::vector<operator_def> v;
#define TSBATCH_ADD_OPERATOR(name) v.push_back(make_##name##_def());
        TSBATCH_OPERATORS(TSBATCH_ADD_OPERATOR)
#undef TSBATCH_ADD_OPERATOR
        return v;
    }();
    return defs;
}

const operator_def* find_operator(const std::string& name) {
    for (const auto& d : operator_catalogue())
        if (d.name == name) return &d;
    return nullptr;
}

}  // namespace tsbatch
