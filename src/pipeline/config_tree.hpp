#pragma once
// The run config as a tree of our own, before it is read into run_config: YAML text -> nodes
// that keep their line and column (or the --set override they came from), duplicate keys
// and file order, with the --set overrides applied; and the reporter that turns a position
// and a key path into a message. config.cpp reads this tree.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/redact.hpp"

namespace tsbatch::config_tree {

// Where a node came from: a line and column of the file (1-based), or the override
// `set_index` of the --set list.
struct pos {
    int line = 0;
    int column = 0;
    int set_index = -1;
};

// The configuration as a tree of our own rather than YAML::Node: yaml-cpp's operator[]
// hides duplicate keys, nodes taken from --set must stay distinguishable from file nodes
// for messages, and the overrides need to edit the tree in place.
struct ynode {
    enum class kind { null, scalar, sequence, map };
    struct entry;

    kind type = kind::null;
    std::string text;            // scalar
    std::vector<ynode> items;    // sequence
    std::vector<entry> entries;  // map, in file order, duplicates kept
    pos where;
};

struct ynode::entry {
    ynode key;
    ynode value;
};

// Formats messages: `FILE:LINE:COL: KEY.PATH: what`, or `--set OVERRIDE: KEY.PATH: what`.
class reporter {
public:
    reporter(std::string file, const std::vector<std::string>& overrides)
        : file_(std::move(file)), overrides_(overrides) {}

    [[noreturn]] void fail(const pos& at, const std::string& path, const std::string& what) const {
        throw config_error(prefix(at) + (path.empty() ? "" : path + ": ") + what);
    }

    [[noreturn]] void fail_set(int set_index, const std::string& what) const {
        throw config_error(shown_set(set_index) + ": " + what);
    }

    // "line 7" or "--set k=v": names an earlier occurrence inside a message.
    std::string short_where(const pos& at) const {
        if (at.set_index >= 0) return shown_set(at.set_index);
        if (at.line > 0) return "line " + std::to_string(at.line);
        return file_;
    }

    const std::string& file() const noexcept { return file_; }

private:
    // "--set k=v" as messages show it: a URL in the value is redacted (it may hold a token).
    std::string shown_set(int set_index) const {
        return "--set " + redact_urls_in(overrides_.at(static_cast<std::size_t>(set_index)));
    }

    std::string prefix(const pos& at) const {
        if (at.set_index >= 0) return shown_set(at.set_index) + ": ";
        if (at.line > 0) return file_ + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) + ": ";
        return file_ + ": ";
    }

    std::string file_;
    const std::vector<std::string>& overrides_;
};

/// "a, b, c".
std::string join(const std::vector<std::string>& v);
/// "output.opentsdb" + "url" -> "output.opentsdb.url" ("" + key -> key).
std::string join_path(const std::string& path, std::string_view key);
/// 'text', as messages quote a value.
std::string quoted(std::string_view s);
/// Without the spaces and tabs around it.
std::string trim(std::string_view s);
/// "nothing", "the value 'x'", "a list", "a map": what a node is, for messages.
std::string describe(const ynode& n);

/// The value of the first `key` of a map node, or nullptr.
ynode* find_entry(ynode& map, std::string_view key);
const ynode* find_entry(const ynode& map, std::string_view key);

/// The name written in a step's map, or "" when there is none to match on.
std::string step_name_of(const ynode& step);

/// Parses `yaml_text` (one document) and applies each `key.path=value` of `overrides` in
/// order. Throws config_error: a YAML syntax error, several documents, too many nodes (an
/// alias bomb), an override that does not parse or addresses nothing.
ynode load_tree(const std::string& yaml_text, const reporter& rep, const std::vector<std::string>& overrides);

}  // namespace tsbatch::config_tree
