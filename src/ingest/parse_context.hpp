#pragma once
// State shared by the parsers of one stage-in: where reports go, how names are treated,
// and which names were already reported (so a bad name is reported once, not once a row).
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>

#include "ingest/diagnostic.hpp"
#include "text/names.hpp"

namespace tsbatch::ingest {

class parse_context {
public:
    explicit parse_context(diagnostic_handler handler, text::name_mode mode = text::name_mode::check);

    /// Sends one report to the handler.
    void report(diagnostic_kind kind, const text_location& where, std::string message, std::string_view text);
    /// Number of reports so far, of every kind.
    std::uint64_t report_count() const noexcept { return reports_; }
    text::name_mode mode() const noexcept { return mode_; }

    /// Applies the name mode to one name (`role` is "metric", "tag key" or "tag value", for
    /// messages). Returns false, after a `malformed` report, when the name is unusable (empty,
    /// or structural in check mode); otherwise `out` holds the name to use.
    bool resolve_name(std::string_view role, std::string_view name, const text_location& where, std::string& out);

private:
    bool first_report_of(std::string_view name);

    diagnostic_handler handler_;
    text::name_mode mode_;
    std::uint64_t reports_ = 0;
    std::unordered_set<std::string> reported_names_;
};

}  // namespace tsbatch::ingest
