#include "ingest/parse_context.hpp"

#include <utility>

namespace tsbatch::ingest {

parse_context::parse_context(diagnostic_handler handler, text::name_mode mode) : handler_(std::move(handler)), mode_(mode) {}

void parse_context::report(diagnostic_kind kind, const text_location& where, std::string message,
                           std::string_view text) {
    ++reports_;
    if (handler_) handler_(make_diagnostic(kind, where, std::move(message), text));
}

bool parse_context::first_report_of(std::string_view name) {
    return reported_names_.emplace(name).second;
}

bool parse_context::resolve_name(std::string_view role, std::string_view name, const text_location& where,
                                 std::string& out) {
    std::string why;
    const text::name_class c = text::classify_name(name, &why);
    if (c == text::name_class::ok) {
        out.assign(name);
        return true;
    }
    const std::string role_s(role);
    if (name.empty()) {
        report(diagnostic_kind::malformed, where, "empty " + role_s, name);
        return false;
    }
    if (mode_ == text::name_mode::sanitise) {
        out = text::sanitise_name(name);
        if (first_report_of(name))
            report(diagnostic_kind::renamed, where,
                   role_s + " renamed '" + printable_excerpt(out) + "': " + why +
                       " (OpenTSDB allows a-z A-Z 0-9 - _ . / and Unicode letters)",
                   name);
        return true;
    }
    if (c == text::name_class::structural) {
        report(diagnostic_kind::malformed, where,
               role_s + " has " + why + ", which cannot be stored (use the sanitise option to replace it by '_')",
               name);
        return false;
    }
    out.assign(name);
    if (first_report_of(name))
        report(diagnostic_kind::invalid_name, where,
               role_s + " has " + why + ": OpenTSDB refuses it (it allows a-z A-Z 0-9 - _ . / and Unicode letters)",
               name);
    return true;
}

}  // namespace tsbatch::ingest
