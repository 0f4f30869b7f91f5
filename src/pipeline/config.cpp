#include "pipeline/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "algo/operator.hpp"
#include "core/error.hpp"
#include "core/redact.hpp"
#include "core/time.hpp"
#include "pipeline/config_tree.hpp"
#include "storage/pg_client.hpp"

namespace tsbatch {

const step_config* run_config::find_step(const std::string& name) const {
    for (const auto& s : steps)
        if (s.name == name) return &s;
    return nullptr;
}

bool run_config::keeps(const std::string& step) const {
    if (!output.keep) return true;
    return std::find(output.keep->begin(), output.keep->end(), step) != output.keep->end();
}

namespace {

using namespace config_tree;

bool is_step_name(std::string_view s) {
    auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    if (s.empty() || !alpha(s.front())) return false;
    return std::all_of(s.begin(), s.end(),
                       [&](char c) { return alpha(c) || digit(c) || c == '_' || c == '.' || c == '-'; });
}

bool parse_int64(std::string_view text, std::int64_t& out) {
    const std::string t = trim(text);
    if (t.empty()) return false;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
    return ec == std::errc() && p == t.data() + t.size();
}

class reader;

// A key of a config section (input, output, output.opentsdb, run), declared once: how it is
// read and checked into the section's struct, and how to_yaml writes it back. A section's
// keys are listed in the order to_yaml writes them, which is also the order of the "allowed
// keys" in messages.
template <class S>
struct config_key {
    std::string name;
    bool required = false;
    /// Reads `value` (at `path`) into `section`; `cfg` is what is read so far (the steps).
    std::function<void(const reader&, const ynode& value, const std::string& path, S& section, const run_config& cfg)>
        read;
    /// Writes `name: value`, or nothing when the value is absent.
    std::function<void(YAML::Emitter&, const S&)> emit;
};

const std::vector<config_key<input_config>>& input_keys();
const std::vector<config_key<output_config>>& output_keys();
const std::vector<config_key<opentsdb_output>>& opentsdb_keys();
const std::vector<config_key<run_options>>& run_keys();

// Converts the validated tree into a run_config; the first problem found throws.
class reader {
public:
    reader(const reporter& rep, const std::vector<operator_def>& catalogue) : rep_(rep), catalogue_(catalogue) {}

    run_config read(const ynode& root) {
        run_config cfg;
        cfg.file = rep_.file();
        if (root.type == ynode::kind::null)
            rep_.fail(root.where, "",
                      "the configuration is empty; expected a map with keys input, steps, output and optionally run");
        check_map(root, "", {"input", "steps", "output", "run"});
        read_input(required(root, "", "input"), cfg);
        read_steps(required(root, "", "steps"), cfg);
        read_output(required(root, "", "output"), cfg);
        if (const ynode* run = find_entry(root, "run")) read_section(*run, "run", run_keys(), cfg.run, cfg);
        return cfg;
    }

    // The value helpers below are public: the key tables read through them.

    // Checks that `n` is a map (null counts as an empty one) whose keys are text, unique and,
    // unless `allowed` is empty, among `allowed`.
    void check_map(const ynode& n, const std::string& path, const std::vector<std::string>& allowed) const {
        if (n.type == ynode::kind::null) return;
        if (n.type != ynode::kind::map)
            rep_.fail(n.where, path,
                      "expected a map" + (allowed.empty() ? std::string() : " with keys " + join(allowed)) + ", got " +
                          describe(n));
        std::map<std::string_view, const ynode*> seen;
        for (const auto& e : n.entries) {
            if (e.key.type != ynode::kind::scalar)
                rep_.fail(e.key.where, path, "a key must be plain text, got " + describe(e.key));
            const std::string key_path = join_path(path, e.key.text);
            auto [it, fresh] = seen.emplace(e.key.text, &e.key);
            if (!fresh)
                rep_.fail(e.key.where, key_path,
                          "duplicate key (first at " + rep_.short_where(it->second->where) + ")");
            if (allowed.empty()) continue;
            if (std::find(allowed.begin(), allowed.end(), e.key.text) == allowed.end())
                rep_.fail(e.key.where, key_path, "unknown key; allowed keys: " + join(allowed));
        }
    }

    const ynode& required(const ynode& map, const std::string& path, std::string_view key) const {
        const ynode* v = find_entry(map, key);
        if (v == nullptr) rep_.fail(map.where, join_path(path, key), "required key is missing");
        return *v;
    }

    const std::string& text(const ynode& n, const std::string& path) const {
        if (n.type != ynode::kind::scalar)
            rep_.fail(n.where, path,
                      n.type == ynode::kind::null ? "missing value" : "expected a single value, got " + describe(n));
        return n.text;
    }

    const std::string& nonempty_text(const ynode& n, const std::string& path) const {
        const std::string& s = text(n, path);
        if (trim(s).empty()) rep_.fail(n.where, path, "must not be empty");
        return s;
    }

    std::string one_of(const ynode& n, const std::string& path, const std::vector<std::string>& choices) const {
        const std::string s = trim(text(n, path));
        if (std::find(choices.begin(), choices.end(), s) == choices.end())
            rep_.fail(n.where, path, "must be one of " + join(choices) + ", got " + quoted(s));
        return s;
    }

    std::int64_t timestamp(const ynode& n, const std::string& path) const {
        const std::string& s = text(n, path);
        std::int64_t ms = 0;
        // Bare integers are epoch milliseconds; anything else must be ISO 8601 (UTC when it
        // has no zone: a config means the same on every machine).
        if (parse_int64(s, ms)) return ms;
        try {
            return parse_iso8601(trim(s));
        } catch (const parse_error& e) {
            rep_.fail(n.where, path, std::string(e.what()) + " (nor an integer of epoch milliseconds)");
        }
    }

    void read_input(const ynode& n, run_config& cfg) const {
        if (n.type == ynode::kind::null)
            rep_.fail(n.where, "input", "expected a map with keys path, group, select, got nothing");
        read_section(n, "input", input_keys(), cfg.input, cfg);
    }

    const operator_def* find_op(const std::string& name) const {
        for (const auto& d : catalogue_)
            if (d.name == name) return &d;
        return nullptr;
    }

    void read_steps(const ynode& n, run_config& cfg) const {
        if (n.type == ynode::kind::null) return;  // `steps:` with every step commented out
        if (n.type != ynode::kind::sequence)
            rep_.fail(n.where, "steps", "expected a list of steps, got " + describe(n));
        std::vector<const operator_def*> defs;  // defs[i] is the operator of cfg.steps[i]
        for (std::size_t i = 0; i < n.items.size(); ++i) {
            const ynode& item = n.items[i];
            const std::string index_path = "steps[" + std::to_string(i) + "]";
            if (item.type != ynode::kind::map)
                rep_.fail(item.where, index_path,
                          "expected a map with keys name, op, input, params, got " + describe(item));

            step_config step;
            step.where = {rep_.file(), item.where.set_index >= 0 ? 0 : item.where.line,
                          item.where.set_index >= 0 ? 0 : item.where.column};
            // The name is checked first so that every later message can address the step by it.
            const ynode* name = find_entry(item, "name");
            if (name != nullptr) {
                const std::string name_path = index_path + ".name";
                step.name = text(*name, name_path);
                if (step.name == source_input)
                    rep_.fail(name->where, name_path, "'source' is reserved for the run's input; choose another name");
                if (!is_step_name(step.name))
                    rep_.fail(name->where, name_path,
                              quoted(step.name) +
                                  " is not a valid step name (a letter, then letters, digits, '_', '.' or '-')");
                for (std::size_t j = 0; j < cfg.steps.size(); ++j)
                    if (cfg.steps[j].name == step.name)
                        rep_.fail(name->where, name_path,
                                  "step name " + quoted(step.name) + " is already used by steps[" + std::to_string(j) +
                                      "] (" + rep_.short_where(n.items[j].where) + ")");
            }
            const std::string path = name != nullptr ? "steps." + step.name : index_path;
            check_map(item, path, {"name", "op", "input", "params"});
            if (name == nullptr)
                rep_.fail(item.where, index_path + ".name", "required key is missing (every step needs a name)");

            const ynode& op = required(item, path, "op");
            step.op = trim(text(op, path + ".op"));
            const operator_def* def = find_op(step.op);
            if (def == nullptr) {
                std::vector<std::string> known;
                for (const auto& d : catalogue_) known.push_back(d.name);
                rep_.fail(op.where, path + ".op",
                          "unknown operator " + quoted(step.op) + "; known operators: " + join(known));
            }

            step.input = resolve_input(item, path, cfg.steps, defs, n, i, *def);
            step.params = read_params(item, path, *def);
            cfg.steps.push_back(std::move(step));
            defs.push_back(def);
        }
    }

    std::string resolve_input(const ynode& item, const std::string& path, const std::vector<step_config>& earlier,
                              const std::vector<const operator_def*>& defs, const ynode& all, std::size_t index,
                              const operator_def& consumer) const {
        const ynode* in = find_entry(item, "input");
        std::string in_path = path + ".input";
        // `features: table:q` (kmeans) names the input as `input: q` would.
        if (const ynode* named = named_input(item, consumer)) {
            const std::string step = named->text.substr(table_prefix.size());
            if (in != nullptr && in->type == ynode::kind::scalar && in->text != step)
                rep_.fail(named->where, path + ".params." + consumer.input_param,
                          quoted(named->text) + " names step " + quoted(step) + ", but input is " + quoted(in->text) +
                              "; give one of them");
            if (in == nullptr) {
                in = named;
                in_path = path + ".params." + consumer.input_param;
                return resolve_named(*in, in_path, step, earlier, defs, all, index, item, consumer);
            }
        }
        if (in == nullptr) {
            // DESIGN §5 says an input defaults to the previous step's output. A table cannot
            // feed a series operator, so after a table step (e.g. quality_stats) the default is
            // the nearest earlier step that produces series, and "source" when there is none:
            // `[q: quality_stats, z: scale]` scales the input, not q's table.
            // A multi-output step is read through its first series output (cut_y: match).
            // Dataset-wide steps feed no other step, so they are passed over too.
            for (std::size_t j = earlier.size(); j-- > 0;)
                if (!defs[j]->dataset_wide && defs[j]->default_series_output() >= 0) return earlier[j].name;
            return source_input;
        }
        return resolve_named(*in, in_path, text(*in, in_path), earlier, defs, all, index, item, consumer);
    }

    static constexpr std::string_view table_prefix = "table:";

    // The `table:<step>` value of the consumer's input_param in this step's params, or null.
    static const ynode* named_input(const ynode& item, const operator_def& consumer) {
        if (consumer.input_param.empty()) return nullptr;
        const ynode* params = find_entry(item, "params");
        if (params == nullptr || params->type != ynode::kind::map) return nullptr;
        const ynode* v = find_entry(*params, consumer.input_param);
        if (v == nullptr || v->type != ynode::kind::scalar || v->text.rfind(table_prefix, 0) != 0) return nullptr;
        return v;
    }

    // `full` ("step", "step/output" or "source") as the input of a step; `in` is where it
    // was written.
    std::string resolve_named(const ynode& in_node, const std::string& in_path, const std::string& full,
                              const std::vector<step_config>& earlier, const std::vector<const operator_def*>& defs,
                              const ynode& all, std::size_t index, const ynode& item,
                              const operator_def& consumer) const {
        const ynode* in = &in_node;
        if (full == source_input) return full;
        // "step" or "step/output" for one output of a multi-output step.
        const auto slash = full.find('/');
        const std::string name = full.substr(0, slash);
        for (std::size_t j = 0; j < earlier.size(); ++j) {
            if (earlier[j].name != name) continue;
            if (defs[j]->dataset_wide)
                rep_.fail(in->where, in_path,
                          "step " + quoted(name) + " (" + defs[j]->name +
                              ") is dataset-wide; its results are final and feed no other step");
            const std::string oname = slash == std::string::npos ? "" : full.substr(slash + 1);
            if (consumer.reads_tables && reads_table(*defs[j], oname)) return full;
            check_series_output(*in, in_path, full, *defs[j], oname);
            return full;
        }
        if (name == step_name_of(item)) rep_.fail(in->where, in_path, "a step cannot read its own output");
        for (std::size_t j = index + 1; j < all.items.size(); ++j)
            if (step_name_of(all.items[j]) == name)
                rep_.fail(in->where, in_path,
                          "step " + quoted(name) + " comes later; a step reads 'source' or an earlier step");
        std::vector<std::string> names{source_input};
        for (const auto& s : earlier) names.push_back(s.name);
        rep_.fail(in->where, in_path, "no step named " + quoted(name) + "; expected one of " + join(names));
    }

    // Whether output `oname` of a step running `def` is a table ("" = its only output).
    static bool reads_table(const operator_def& def, const std::string& oname) {
        const int o = oname.empty() && def.outputs.size() == 1 ? 0 : def.find_output(oname);
        return o >= 0 && def.outputs[static_cast<std::size_t>(o)].kind == data_kind::table;
    }

    // `full` names output `oname` of a step running `def`; it must exist and hold series.
    void check_series_output(const ynode& in, const std::string& in_path, const std::string& full,
                             const operator_def& def, const std::string& oname) const {
        const int o = def.find_output(oname);
        std::string outputs;
        for (const auto& out : def.outputs)
            if (!out.name.empty())
                outputs += (outputs.empty() ? "" : ", ") + out.name + " (" + to_string(out.kind) + ")";
        if (o < 0) {
            rep_.fail(in.where, in_path,
                      quoted(full) + ": " + def.name +
                          (outputs.empty() ? " has a single output; write the step name alone"
                                           : " has no output " + quoted(oname) + "; its outputs are " + outputs));
        }
        const auto kind = def.outputs[static_cast<std::size_t>(o)].kind;
        if (kind != data_kind::series && outputs.empty())
            rep_.fail(in.where, in_path,
                      "step " + quoted(full) + " (" + def.name + ") produces a " + to_string(kind) +
                          ", not series; a step reads 'source' or an earlier step that produces series");
        if (kind != data_kind::series)
            rep_.fail(in.where, in_path,
                      "step output " + quoted(full) + " (" + def.name + ") is a " + to_string(kind) +
                          ", not series; a step reads 'source' or an earlier step's series output (outputs: " +
                          outputs + ")");
    }

    param_values read_params(const ynode& item, const std::string& path, const operator_def& def) const {
        const std::string params_path = path + ".params";
        const ynode* params = find_entry(item, "params");
        // Problems of the parameter set as a whole are reported where it is written.
        const pos& set_where = params != nullptr ? params->where : item.where;
        param_values values;
        if (params != nullptr) {
            check_map(*params, params_path, {});
            std::vector<std::string> allowed;
            for (const auto& p : def.params) allowed.push_back(p.name);
            for (const auto& e : params->entries) {
                const std::string p_path = join_path(params_path, e.key.text);
                const param_spec* spec = def.find_param(e.key.text);
                if (spec == nullptr)
                    rep_.fail(e.key.where, p_path,
                              "unknown parameter of " + def.name + "; " +
                                  (allowed.empty() ? def.name + " takes no parameters" : "allowed: " + join(allowed)));
                const std::string& raw = text(e.value, p_path);
                try {
                    values.set(spec->name, parse_param(*spec, raw));
                } catch (const param_error& err) {
                    rep_.fail(e.value.where, p_path, err.what());
                }
            }
        }
        for (const auto& spec : def.params) {
            if (values.has(spec.name)) continue;
            if (spec.default_value)
                values.set(spec.name, *spec.default_value);
            else if (spec.required())
                rep_.fail(set_where, join_path(params_path, spec.name),
                          "required parameter is missing (" + std::string(to_string(spec.type)) +
                              (spec.summary.empty() ? "" : ": " + spec.summary) + ")");
        }
        if (def.bind) {
            try {
                // Only for the constraints between parameters; the executor binds its own copy.
                (void)def.bind(values);
            } catch (const param_error& err) {
                rep_.fail(set_where, err.param().empty() ? params_path : join_path(params_path, err.param()),
                          err.what());
            }
        }
        return values;
    }

    void read_output(const ynode& n, run_config& cfg) const {
        if (n.type == ynode::kind::null)
            rep_.fail(n.where, "output",
                      "expected a map with keys path, keep, compression, deflate_level, got nothing");
        read_section(n, "output", output_keys(), cfg.output, cfg);
    }

    std::int64_t integer_in(const ynode& n, const std::string& path, std::int64_t lo, std::int64_t hi) const {
        std::int64_t v = 0;
        const std::string& s = text(n, path);
        if (!parse_int64(s, v) || v < lo || v > hi)
            rep_.fail(
                n.where, path,
                "expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi) + ", got " + quoted(s));
        return v;
    }

    // Reads the keys of one section: `n` must be a map of them; missing required keys fail.
    template <class S>
    void read_section(const ynode& n, const std::string& path, const std::vector<config_key<S>>& keys, S& section,
                      const run_config& cfg) const {
        std::vector<std::string> names;
        for (const auto& k : keys) names.push_back(k.name);
        check_map(n, path, names);
        for (const auto& k : keys) {
            const std::string key_path = join_path(path, k.name);
            if (const ynode* v = find_entry(n, k.name))
                k.read(*this, *v, key_path, section, cfg);
            else if (k.required)
                rep_.fail(n.where, key_path, "required key is missing");
        }
    }

    [[noreturn]] void fail(const ynode& at, const std::string& path, const std::string& what) const {
        rep_.fail(at.where, path, what);
    }

    // A list of names of steps of `cfg` (output.keep, output.opentsdb.steps); `check` tests
    // each name after the common checks.
    template <class Check>
    std::vector<std::string> step_names(const ynode& n, const std::string& path, const std::string& expected,
                                        Check&& check) const {
        if (n.type != ynode::kind::sequence) rep_.fail(n.where, path, expected + ", got " + describe(n));
        std::vector<std::string> out;
        for (std::size_t i = 0; i < n.items.size(); ++i) {
            const ynode& item = n.items[i];
            const std::string p = path + "[" + std::to_string(i) + "]";
            const std::string& name = text(item, p);
            check(item, p, name, out);
            out.push_back(name);
        }
        return out;
    }

private:
    const reporter& rep_;
    const std::vector<operator_def>& catalogue_;
};

// ---- The keys of each section ------------------------------------------------------------

template <class T>
void emit_entry(YAML::Emitter& e, const std::string& name, const T& value) {
    e << YAML::Key << name << YAML::Value << value;
}

void emit_names(YAML::Emitter& e, const std::string& name, const std::vector<std::string>& names) {
    e << YAML::Key << name << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& n : names) e << n;
    e << YAML::EndSeq;
}

/// Text; written back always, or only when not empty (`emit_empty` false: an unset path).
template <class S>
config_key<S> text_key(std::string name, std::string S::*field, bool emit_empty, bool required = false) {
    return {name, required,
            [field](const reader& r, const ynode& v, const std::string& path, S& s, const run_config&) {
                s.*field = r.nonempty_text(v, path);
            },
            [name, field, emit_empty](YAML::Emitter& e, const S& s) {
                if (emit_empty || !(s.*field).empty()) emit_entry(e, name, s.*field);
            }};
}

/// One of `choices`.
template <class S>
config_key<S> choice_key(std::string name, std::string S::*field, std::vector<std::string> choices) {
    return {name, false,
            [field, choices](const reader& r, const ynode& v, const std::string& path, S& s, const run_config&) {
                s.*field = r.one_of(v, path, choices);
            },
            [name, field](YAML::Emitter& e, const S& s) { emit_entry(e, name, s.*field); }};
}

/// true or false.
template <class S>
config_key<S> bool_key(std::string name, bool S::*field) {
    return {name, false,
            [field](const reader& r, const ynode& v, const std::string& path, S& s, const run_config&) {
                s.*field = r.one_of(v, path, {"true", "false"}) == "true";
            },
            [name, field](YAML::Emitter& e, const S& s) { emit_entry(e, name, s.*field ? "true" : "false"); }};
}

/// An integer in [lo, hi].
template <class S, class T>
config_key<S> integer_key(std::string name, T S::*field, std::int64_t lo, std::int64_t hi) {
    return {name, false,
            [field, lo, hi](const reader& r, const ynode& v, const std::string& path, S& s, const run_config&) {
                s.*field = static_cast<T>(r.integer_in(v, path, lo, hi));
            },
            [name, field](YAML::Emitter& e, const S& s) { emit_entry(e, name, s.*field); }};
}

/// A duration > 0, kept in ms and written back as `5s`.
template <class S>
config_key<S> duration_key(std::string name, std::int64_t S::*field) {
    return {name, false,
            [field](const reader& r, const ynode& v, const std::string& path, S& s, const run_config&) {
                const std::string& text = r.text(v, path);
                try {
                    s.*field = parse_duration(text);
                } catch (const parse_error& e) {
                    r.fail(v, path, e.what());
                }
                if (s.*field <= 0) r.fail(v, path, "must be > 0, got " + quoted(text));
            },
            [name, field](YAML::Emitter& e, const S& s) { emit_entry(e, name, format_duration(s.*field)); }};
}

// input.select: series by metric and tags, points by time.
void read_select(const reader& r, const ynode& n, const std::string& path, select_config& sel) {
    r.check_map(n, path, {"metric", "tags", "time"});
    if (const ynode* m = find_entry(n, "metric")) sel.metric = r.text(*m, path + ".metric");
    if (const ynode* tags = find_entry(n, "tags")) {
        r.check_map(*tags, path + ".tags", {});
        for (const auto& e : tags->entries) sel.tags[e.key.text] = r.text(e.value, path + ".tags." + e.key.text);
    }
    if (const ynode* time = find_entry(n, "time")) {
        r.check_map(*time, path + ".time", {"from", "to"});
        const ynode* from = find_entry(*time, "from");
        const ynode* to = find_entry(*time, "to");
        if (from != nullptr) sel.time_from = r.timestamp(*from, path + ".time.from");
        if (to != nullptr) sel.time_to = r.timestamp(*to, path + ".time.to");
        if (from != nullptr && to != nullptr && *sel.time_from >= *sel.time_to)
            r.fail(*to, path + ".time.to",
                   "must be after from (" + format_iso8601(*sel.time_from) + "), got " + format_iso8601(*sel.time_to));
    }
}

void emit_select(YAML::Emitter& e, const select_config& sel) {
    if (!sel.selects_series() && !sel.selects_time()) return;
    e << YAML::Key << "select" << YAML::Value << YAML::BeginMap;
    if (!sel.metric.empty()) emit_entry(e, "metric", sel.metric);
    if (!sel.tags.empty()) {
        e << YAML::Key << "tags" << YAML::Value << YAML::BeginMap;
        for (const auto& [k, v] : sel.tags) emit_entry(e, k, v);
        e << YAML::EndMap;
    }
    if (sel.selects_time()) {
        e << YAML::Key << "time" << YAML::Value << YAML::BeginMap;
        if (sel.time_from) emit_entry(e, "from", format_iso8601(*sel.time_from));
        if (sel.time_to) emit_entry(e, "to", format_iso8601(*sel.time_to));
        e << YAML::EndMap;
    }
    e << YAML::EndMap;
}

const std::vector<config_key<input_config>>& input_keys() {
    using S = input_config;
    static const std::vector<config_key<S>> keys{
        text_key("path", &S::path, true, true),
        text_key("group", &S::group, true),
        {"select", false,
         [](const reader& r, const ynode& v, const std::string& path, S& s, const run_config&) {
             read_select(r, v, path, s.select);
         },
         [](YAML::Emitter& e, const S& s) { emit_select(e, s.select); }},
    };
    return keys;
}

// `steps:` of a publishing section (output.opentsdb, output.postgres): names of kept steps;
// `verb` says what the section would do with them ("send", "load").
template <class S>
config_key<S> kept_steps_key(const char* verb) {
    return {"steps", false,
            [verb](const reader& r, const ynode& v, const std::string& path, S& s, const run_config& cfg) {
                s.steps = r.step_names(
                    v, path, "expected a list of step names",
                    [&](const ynode& item, const std::string& p, const std::string& name,
                        const std::vector<std::string>&) {
                        if (cfg.find_step(name) == nullptr) r.fail(item, p, "no step named " + quoted(name));
                        if (!cfg.keeps(name))
                            r.fail(item, p,
                                   "step " + quoted(name) + " is not kept (output.keep), so there is nothing to " + verb);
                    });
            },
            [](YAML::Emitter& e, const S& s) {
                if (s.steps) emit_names(e, "steps", *s.steps);
            }};
}

const std::vector<config_key<postgres_output>>& postgres_keys() {
    using S = postgres_output;
    static const std::vector<config_key<S>> keys{
        text_key("table", &S::table, true),
        choice_key("mode", &S::mode, {"create", "append", "replace"}),
        {"dsn", false,
         [](const reader& r, const ynode& v, const std::string& path, S& s, const run_config&) {
             s.dsn = r.nonempty_text(v, path);
             try {
                 storage::refuse_password_in_conninfo(s.dsn, "the connection string");
             } catch (const usage_error& e) {
                 r.fail(v, path, e.what());
             }
         },
         [](YAML::Emitter& e, const S& s) {
             if (!s.dsn.empty()) emit_entry(e, "dsn", s.dsn);
         }},
        kept_steps_key<S>("load"),
    };
    return keys;
}

const std::vector<config_key<opentsdb_output>>& opentsdb_keys() {
    using S = opentsdb_output;
    static const std::vector<config_key<S>> keys{
        text_key("import_dir", &S::import_dir, false),
        {"url", false,
         [](const reader& r, const ynode& v, const std::string& path, S& s, const run_config&) {
             s.url = r.nonempty_text(v, path);
             if (s.url.rfind("http://", 0) != 0 && s.url.rfind("https://", 0) != 0)
                 r.fail(v, path, "expected an http:// or https:// URL, got " + quoted(redact_url(s.url)));
             if (url_has_user_info(s.url))
                 r.fail(v, path,
                        "holds a user name or password (user:password@); give credentials through "
                        "TSBATCH_OPENTSDB_USER and TSBATCH_OPENTSDB_PASSWORD, or TSBATCH_OPENTSDB_TOKEN "
                        "(environment variables), never in the config");
         },
         // A token in the URL's query never reaches a provenance record or a log.
         [](YAML::Emitter& e, const S& s) {
             if (!s.url.empty()) emit_entry(e, "url", redact_url(s.url));
         }},
        text_key("metric", &S::metric, true),
        kept_steps_key<S>("send"),
        bool_key("whole_seconds", &S::whole_seconds),
        text_key("journal", &S::journal, false),
        integer_key("batch_points", &S::batch_points, 1, 10000000),
        integer_key("max_request_bytes", &S::max_request_bytes, 256, std::int64_t{1} << 30),
        integer_key("connections", &S::connections, 1, 256),
        integer_key("retries", &S::retries, 0, 100),
    };
    return keys;
}

const std::vector<config_key<output_config>>& output_keys() {
    using S = output_config;
    static const std::vector<config_key<S>> keys{
        text_key("path", &S::path, true, true),
        // An empty `keep:` is refused rather than guessed: it could mean "nothing" or "default".
        {"keep", false,
         [](const reader& r, const ynode& v, const std::string& path, S& s, const run_config& cfg) {
             s.keep =
                 r.step_names(v, path, "expected a list of step names (leave the key out to keep every step)",
                              [&](const ynode& item, const std::string& p, const std::string& name,
                                  const std::vector<std::string>& earlier) {
                                  if (cfg.find_step(name) == nullptr) {
                                      std::vector<std::string> names;
                                      for (const auto& step : cfg.steps) names.push_back(step.name);
                                      r.fail(item, p,
                                             "no step named " + quoted(name) +
                                                 (names.empty() ? " (there are no steps)" : "; steps: " + join(names)));
                                  }
                                  if (std::find(earlier.begin(), earlier.end(), name) != earlier.end())
                                      r.fail(item, p, "step " + quoted(name) + " is listed twice");
                              });
         },
         [](YAML::Emitter& e, const S& s) {
             if (s.keep) emit_names(e, "keep", *s.keep);
         }},
        choice_key("compression", &S::compression, {"none", "deflate"}),
        integer_key("deflate_level", &S::deflate_level, 1, 9),
        {"opentsdb", false,
         [](const reader& r, const ynode& v, const std::string& path, S& s, const run_config& cfg) {
             opentsdb_output o;
             r.read_section(v, path, opentsdb_keys(), o, cfg);
             if (o.import_dir.empty() && o.url.empty())
                 r.fail(v, path, "give import_dir, url or both (otherwise leave output.opentsdb out)");
             s.opentsdb = std::move(o);
         },
         [](YAML::Emitter& e, const S& s) {
             if (!s.opentsdb) return;
             e << YAML::Key << "opentsdb" << YAML::Value << YAML::BeginMap;
             for (const auto& k : opentsdb_keys()) k.emit(e, *s.opentsdb);
             e << YAML::EndMap;
         }},
        {"postgres", false,
         [](const reader& r, const ynode& v, const std::string& path, S& s, const run_config& cfg) {
             postgres_output o;
             r.read_section(v, path, postgres_keys(), o, cfg);
             s.postgres = std::move(o);
         },
         [](YAML::Emitter& e, const S& s) {
             if (!s.postgres) return;
             e << YAML::Key << "postgres" << YAML::Value << YAML::BeginMap;
             for (const auto& k : postgres_keys()) k.emit(e, *s.postgres);
             e << YAML::EndMap;
         }},
    };
    return keys;
}

const std::vector<config_key<run_options>>& run_keys() {
    using S = run_options;
    static const std::vector<config_key<S>> keys{
        text_key("checkpoint", &S::checkpoint, false),
        choice_key("balance", &S::balance, {"cost", "points"}),
        choice_key("on_series_error", &S::on_series_error, {"fail", "skip"}),
        duration_key("progress_interval", &S::progress_interval_ms),
        integer_key("chunk_points", &S::chunk_points, 1, std::int64_t{1} << 40),
        integer_key("chunk_series", &S::chunk_series, 1, std::int64_t{1} << 40),
        integer_key("output_memory_mb", &S::output_memory_mb, 0, std::int64_t{1} << 30),
    };
    return keys;
}

// Writes a section as a map under `name`, key by key.
template <class S>
void emit_section(YAML::Emitter& e, const std::string& name, const std::vector<config_key<S>>& keys, const S& s) {
    e << YAML::Key << name << YAML::Value << YAML::BeginMap;
    for (const auto& k : keys) k.emit(e, s);
    e << YAML::EndMap;
}

run_config parse(const std::string& yaml_text, const std::string& file_name, const std::vector<std::string>& overrides,
                 const std::vector<operator_def>& catalogue) {
    const reporter rep(file_name, overrides);
    const ynode root = load_tree(yaml_text, rep, overrides);
    return reader(rep, catalogue).read(root);
}

}  // namespace

run_config parse_run_config(const std::string& yaml_text, const std::string& file_name,
                            const std::vector<std::string>& overrides) {
    return parse(yaml_text, file_name, overrides, operator_catalogue());
}

namespace detail {
run_config parse_run_config_with(const std::string& yaml_text, const std::string& file_name,
                                 const std::vector<std::string>& overrides,
                                 const std::vector<operator_def>& catalogue) {
    return parse(yaml_text, file_name, overrides, catalogue);
}
}  // namespace detail

std::string to_yaml(const run_config& cfg) {
    YAML::Emitter e;
    e << YAML::BeginMap;

    emit_section(e, "input", input_keys(), cfg.input);

    e << YAML::Key << "steps" << YAML::Value;
    if (cfg.steps.empty()) e << YAML::Flow;
    e << YAML::BeginSeq;
    for (const auto& s : cfg.steps) {
        e << YAML::BeginMap;
        e << YAML::Key << "name" << YAML::Value << s.name;
        e << YAML::Key << "op" << YAML::Value << s.op;
        const operator_def* def = find_operator(s.op);
        // Parameters in schema order, as `tsbatch catalogue` lists them; a derived default
        // (resample's max_gap = 2*period) has no value to write, so a comment says what applies.
        std::vector<std::pair<std::string, std::string>> written;
        std::vector<std::string> derived;
        if (def != nullptr) {
            for (const auto& spec : def->params) {
                const auto it = s.params.all().find(spec.name);
                if (it != s.params.all().end())
                    written.emplace_back(spec.name, format_param(spec, it->second));
                else if (!spec.default_text.empty())
                    derived.push_back(spec.name + ": " + spec.default_text);
            }
        }
        for (const auto& [name, value] : s.params.all()) {
            if (def != nullptr && def->find_param(name) != nullptr) continue;
            // Without a schema (an operator outside the catalogue) the value's own type is all
            // there is; only durations would read differently, as plain milliseconds.
            param_spec fallback;
            fallback.name = name;
            written.emplace_back(name, format_param(fallback, value));
        }
        if (!derived.empty()) {
            std::string note;
            for (const auto& d : derived) note += (note.empty() ? "unset, derived: " : "; ") + d;
            e << YAML::Comment(note);
        }
        e << YAML::Key << "input" << YAML::Value << s.input;
        if (!written.empty()) {
            e << YAML::Key << "params" << YAML::Value << YAML::BeginMap;
            for (const auto& [name, value] : written) e << YAML::Key << name << YAML::Value << value;
            e << YAML::EndMap;
        }
        e << YAML::EndMap;
    }
    e << YAML::EndSeq;

    emit_section(e, "output", output_keys(), cfg.output);
    emit_section(e, "run", run_keys(), cfg.run);

    e << YAML::EndMap;
    if (!e.good()) throw internal_error("to_yaml: " + e.GetLastError());
    return std::string(e.c_str()) + "\n";
}

}  // namespace tsbatch
