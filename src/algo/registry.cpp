#include "algo/operator.hpp"

namespace tsbatch {

const char* to_string(data_kind k) noexcept {
    switch (k) {
    case data_kind::series: return "series";
    case data_kind::table: return "table";
    case data_kind::matrix: return "matrix";
    }
    return "?";
}

const char* to_string(column_type t) noexcept {
    switch (t) {
    case column_type::int64: return "int64";
    case column_type::float64: return "float64";
    case column_type::string: return "string";
    }
    return "?";
}

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

const std::vector<operator_def>& operator_catalogue() {
    static const std::vector<operator_def> defs = [] {
        std::vector<operator_def> v;
        v.push_back(make_identity_def());
        v.push_back(make_quality_stats_def());
        v.push_back(make_resample_def());
        v.push_back(make_scale_def());
        v.push_back(make_slope_def());
        v.push_back(make_unwrap_def());
        v.push_back(make_cut_def());
        v.push_back(make_cut_y_def());
        v.push_back(make_cut_by_reference_def());
        v.push_back(make_rolling_def());
        v.push_back(make_paa_def());
        v.push_back(make_discretize_def());
        v.push_back(make_sax_def());
        v.push_back(make_outliers_def());
        v.push_back(make_sta_lta_def());
        v.push_back(make_correlation_def());
        v.push_back(make_pca_def());
        v.push_back(make_kmeans_def());
        v.push_back(make_pattern_search_def());
        v.push_back(make_motifs_def());
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
