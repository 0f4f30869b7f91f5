#include "ingest/key_builder.hpp"

#include <algorithm>

namespace tsbatch::ingest {

void key_builder::reset(std::string_view metric, std::uint64_t column, std::uint64_t line) {
    metric_ = {metric, column, line};
    tags_.clear();
}

void key_builder::add_tag(std::string_view key, std::uint64_t key_column, std::string_view value,
                          std::uint64_t value_column, std::uint64_t line) {
    tags_.push_back({{key, key_column, line}, {value, value_column, line}});
}

bool key_builder::build(parse_context& ctx, std::string_view file, std::uint64_t line, series_key& out) {
    auto at = [&](const name_ref& n) { return text_location{file, n.line != 0 ? n.line : line, n.column}; };
    if (!ctx.resolve_name("metric", metric_.text, at(metric_), out.metric)) return false;
    resolved_.resize(tags_.size());
    for (std::size_t i = 0; i < tags_.size(); ++i) {
        if (!ctx.resolve_name("tag key", tags_[i].key.text, at(tags_[i].key), resolved_[i].first)) return false;
        if (!ctx.resolve_name("tag value", tags_[i].value.text, at(tags_[i].value), resolved_[i].second)) return false;
    }
    // Sort an index so a duplicate can be reported where its second occurrence is.
    std::vector<std::size_t> order(tags_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return resolved_[a].first < resolved_[b].first; });
    out.tags.clear();
    for (std::size_t k = 0; k < order.size(); ++k) {
        const auto& [key, value] = resolved_[order[k]];
        if (k > 0 && key == resolved_[order[k - 1]].first) {
            ctx.report(diagnostic_kind::malformed, at(tags_[order[k]].key), "tag key '" + key + "' appears twice",
                       tags_[order[k]].key.text);
            return false;
        }
        if (k > 0) out.tags += ',';
        out.tags += key;
        out.tags += '=';
        out.tags += value;
    }
    return true;
}

namespace {

std::string_view trim_spaces(std::string_view s, std::uint64_t& column) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
        ++column;
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

const char* read_series_text(std::string_view text, std::uint64_t column, key_builder& builder) {
    const bool located = column != 0;
    text = trim_spaces(text, column);
    if (!located) column = 0;
    auto at = [&](std::uint64_t col) { return located ? col : 0; };
    const std::size_t open = text.find('{');
    if (open == std::string_view::npos) {
        builder.reset(text, column);
        return nullptr;
    }
    if (text.back() != '}') return "a series written metric{k=v,...} must end with '}'";
    builder.reset(text.substr(0, open), column);
    std::string_view tags = text.substr(open + 1, text.size() - open - 2);
    std::uint64_t col = column + open + 1;  // where the current tag starts
    while (!tags.empty()) {
        const std::size_t comma = tags.find(',');
        const std::string_view pair = tags.substr(0, comma);
        const std::size_t eq = pair.find('=');
        if (eq == std::string_view::npos) return "each tag must be written key=value";
        builder.add_tag(pair.substr(0, eq), at(col), pair.substr(eq + 1), at(col + eq + 1));
        if (comma == std::string_view::npos) break;
        tags.remove_prefix(comma + 1);
        col += comma + 1;
        if (tags.empty()) return "a tag list must not end with ','";
    }
    return nullptr;
}

}  // namespace tsbatch::ingest
