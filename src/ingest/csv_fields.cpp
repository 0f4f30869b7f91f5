#include "ingest/csv_fields.hpp"

#include <cstring>

namespace tsbatch::ingest {
namespace {

bool is_blank(char c, char sep) {
    return (c == ' ' || c == '\t') && c != sep;
}

}  // namespace

const char* csv_splitter::quoted(std::string_view line, std::size_t& pos, csv_field& f, std::uint32_t& error_column) {
    const std::size_t open = pos++;
    const std::size_t start = pos;
    bool escaped = false;
    for (;;) {
        const void* q = std::memchr(line.data() + pos, '"', line.size() - pos);
        if (q == nullptr) {
            error_column = static_cast<std::uint32_t>(open + 1);
            return "quoted field is not closed on its line";
        }
        pos = static_cast<std::size_t>(static_cast<const char*>(q) - line.data()) + 1;
        if (pos < line.size() && line[pos] == '"') {
            escaped = true;  // "" stands for one quote
            ++pos;
            continue;
        }
        break;
    }
    const std::string_view raw = line.substr(start, pos - 1 - start);
    if (!escaped) {
        f.text = raw;
    } else {
        const std::size_t at = scratch_.size();
        for (std::size_t i = 0; i < raw.size(); ++i) {
            scratch_ += raw[i];
            if (raw[i] == '"') ++i;
        }
        f.text = std::string_view(scratch_).substr(at);
    }
    while (pos < line.size() && is_blank(line[pos], sep_)) ++pos;
    if (pos < line.size() && line[pos] != sep_) {
        error_column = static_cast<std::uint32_t>(pos + 1);
        return "unexpected text after a closing quote";
    }
    return nullptr;
}

const char* csv_splitter::split(std::string_view line, std::vector<csv_field>& fields, std::uint32_t& error_column) {
    fields.clear();
    scratch_.clear();
    scratch_.reserve(line.size());
    std::size_t pos = 0;
    for (;;) {
        while (pos < line.size() && is_blank(line[pos], sep_)) ++pos;
        csv_field f{{}, static_cast<std::uint32_t>(pos + 1)};
        if (pos < line.size() && line[pos] == '"') {
            ++f.column;  // a quoted field's text starts after its quote
            if (const char* e = quoted(line, pos, f, error_column)) return e;
        } else {
            // Fields are short: a plain loop beats a memchr call per field.
            std::size_t end = pos;
            while (end < line.size() && line[end] != sep_) ++end;
            std::size_t last = end;
            while (last > pos && is_blank(line[last - 1], sep_)) --last;
            f.text = line.substr(pos, last - pos);
            pos = end;
        }
        fields.push_back(f);
        if (pos >= line.size()) return nullptr;
        ++pos;  // the separator
    }
}

char detect_separator(std::string_view header) {
    std::size_t counts[3] = {0, 0, 0};
    constexpr char candidates[3] = {',', ';', '\t'};
    bool in_quotes = false;
    for (char c : header) {
        if (c == '"') in_quotes = !in_quotes;
        if (in_quotes) continue;
        for (int k = 0; k < 3; ++k) counts[k] += c == candidates[k] ? 1 : 0;
    }
    int best = 0;
    for (int k = 1; k < 3; ++k)
        if (counts[k] > counts[best]) best = k;
    return counts[best] > 0 ? candidates[best] : '\0';
}

}  // namespace tsbatch::ingest
