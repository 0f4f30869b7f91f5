#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "algo/operator.hpp"
#include "cli/commands.hpp"
#include "cli/run_context.hpp"
#include "text/json_writer.hpp"

namespace tsbatch {
namespace {

std::string json_escape(std::string_view s) {
    std::string quoted;
    text::append_json_string(quoted, s);
    return quoted;
}

std::string json_number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

std::string json_value(const param_spec& p, const param_value& v) {
    return std::visit(
        [&](const auto& x) -> std::string {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, bool>) return x ? "true" : "false";
            else if constexpr (std::is_same_v<T, std::int64_t>)
                // Durations and timestamps read as they are written in a config (`15min`, ISO 8601).
                return p.type == param_type::duration || p.type == param_type::timestamp ? json_escape(format_param(p, v))
                                                                                         : std::to_string(x);
            else if constexpr (std::is_same_v<T, double>) return json_number(x);
            else return json_escape(x);
        },
        v);
}

std::string range_text(const param_spec& p) {
    if (p.type == param_type::choice) {
        std::string s = "{";
        for (std::size_t i = 0; i < p.choices.size(); ++i) s += (i ? "," : "") + p.choices[i];
        return s + "}";
    }
    auto show = [&](double v) {
        return p.type == param_type::duration || p.type == param_type::timestamp
                   ? format_param(p, static_cast<std::int64_t>(v))
                   : json_number(v);
    };
    std::string s;
    if (p.min) s += (p.min_exclusive ? "> " : ">= ") + show(*p.min);
    if (p.max) s += (s.empty() ? "" : ", ") + std::string("<= ") + show(*p.max);
    return s;
}

// "series", "table", or for several outputs their kinds joined by '+' ("series+table").
std::string outputs_kind(const operator_def& d) {
    std::string s;
    for (const auto& o : d.outputs) s += (s.empty() ? "" : "+") + std::string(to_string(o.kind));
    return s;
}

std::string outputs_json(const operator_def& d) {
    std::string s = "[";
    for (std::size_t k = 0; k < d.outputs.size(); ++k) {
        const auto& o = d.outputs[k];
        s += std::string(k ? ", " : "") + "{\"name\": " + json_escape(o.name) + ", \"kind\": " +
             json_escape(to_string(o.kind)) + ", \"summary\": " + json_escape(o.summary) + "}";
    }
    return s + "]";
}

// The outputs as the text listing shows them: "series", or "match: series, complement: series".
std::string outputs_text(const operator_def& d) {
    if (!d.multi_output()) return to_string(d.outputs.front().kind);
    std::string s;
    for (const auto& o : d.outputs) s += (s.empty() ? "" : ", ") + o.name + ": " + to_string(o.kind);
    return s;
}

void print_json() {
    std::string o = "[\n";
    const auto& cat = operator_catalogue();
    for (std::size_t k = 0; k < cat.size(); ++k) {
        const auto& d = cat[k];
        o += "  {\"name\": " + json_escape(d.name) + ", \"summary\": " + json_escape(d.summary) +
             ", \"input\": " + json_escape(to_string(d.input)) + ", \"output\": " + json_escape(outputs_kind(d)) + ", \"outputs\": " + outputs_json(d) +
             ", \"cost\": {\"per_point\": " + json_number(d.cost.per_point) +
             ", \"per_series\": " + json_number(d.cost.per_series) + "},\n   \"params\": [";
        for (std::size_t i = 0; i < d.params.size(); ++i) {
            const auto& p = d.params[i];
            o += std::string(i ? ",\n" : "\n") + "    {\"name\": " + json_escape(p.name) +
                 ", \"type\": " + json_escape(to_string(p.type)) + ", \"required\": " + (p.required() ? "true" : "false");
            if (p.default_value) o += ", \"default\": " + json_value(p, *p.default_value);
            else if (!p.default_text.empty()) o += ", \"default\": " + json_escape(p.default_text);
            if (p.min) o += ", \"min\": " + json_number(*p.min) + ", \"min_exclusive\": " + (p.min_exclusive ? "true" : "false");
            if (p.max) o += ", \"max\": " + json_number(*p.max);
            if (!p.choices.empty()) {
                o += ", \"choices\": [";
                for (std::size_t c = 0; c < p.choices.size(); ++c) o += (c ? ", " : "") + json_escape(p.choices[c]);
                o += "]";
            }
            if (!p.unit.empty()) o += ", \"unit\": " + json_escape(p.unit);
            o += ", \"summary\": " + json_escape(p.summary) + "}";
        }
        o += std::string(d.params.empty() ? "" : "\n   ") + "]}" + (k + 1 < cat.size() ? ",\n" : "\n");
    }
    o += "]\n";
    std::fputs(o.c_str(), stdout);
}

void print_text() {
    for (const auto& d : operator_catalogue()) {
        std::printf("%s  (%s -> %s)\n    %s\n", d.name.c_str(), to_string(d.input), outputs_text(d).c_str(), d.summary.c_str());
        for (const auto& p : d.params) {
            std::string def = p.default_value ? format_param(p, *p.default_value)
                              : p.default_text.empty() ? "required" : p.default_text;
            const auto range = range_text(p);
            std::printf("    %-14s %-9s default %-12s %s%s%s\n", p.name.c_str(), to_string(p.type), def.c_str(),
                        range.empty() ? "" : (range + "  ").c_str(), p.unit.empty() ? "" : ("[" + p.unit + "]  ").c_str(),
                        p.summary.c_str());
        }
        std::printf("\n");
    }
}

}  // namespace

void setup_catalogue(CLI::App& app, command_action& action) {
    auto json = std::make_shared<bool>(false);
    auto* sub = app.add_subcommand("catalogue", "List every operator, its parameters, types, defaults and ranges");
    sub->add_flag("--json", *json, "Machine-readable output");
    sub->final_callback([&action, json] {
        action = [json](invocation&) {
            return run_serial([&] {
                if (*json) print_json();
                else print_text();
                return 0;
            });
        };
    });
}

}  // namespace tsbatch
