#include "pipeline/config_tree.hpp"

#include <yaml-cpp/yaml.h>

#include <string>
#include <utility>

namespace tsbatch::config_tree {
namespace {

// Aliases let a few lines of YAML expand into an exponentially large tree when copied
// (the "billion laughs"); no real configuration comes near this many nodes.
constexpr std::size_t max_nodes = 1'000'000;

ynode from_yaml(const YAML::Node& n, int set_index, std::size_t& budget, const reporter& rep) {
    ynode out;
    if (set_index >= 0) {
        out.where.set_index = set_index;
    } else if (!n.Mark().is_null()) {
        out.where.line = n.Mark().line + 1;
        out.where.column = n.Mark().column + 1;
    }
    if (budget == 0)
        rep.fail(out.where, "",
                 "the configuration expands to more than " + std::to_string(max_nodes) + " YAML nodes (aliases?)");
    --budget;
    switch (n.Type()) {
        case YAML::NodeType::Scalar:
            out.type = ynode::kind::scalar;
            out.text = n.Scalar();
            break;
        case YAML::NodeType::Sequence:
            out.type = ynode::kind::sequence;
            for (const auto& item : n) out.items.push_back(from_yaml(item, set_index, budget, rep));
            break;
        case YAML::NodeType::Map:
            out.type = ynode::kind::map;
            for (auto it = n.begin(); it != n.end(); ++it) {
                ynode::entry e{from_yaml(it->first, set_index, budget, rep),
                               from_yaml(it->second, set_index, budget, rep)};
                // yaml-cpp marks an empty value at the token after it, often on the next line;
                // the key is where the user looks.
                if (e.value.type == ynode::kind::null) e.value.where = e.key.where;
                out.entries.push_back(std::move(e));
            }
            break;
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined:
            break;
    }
    return out;
}

// Applies `key.path=value` to the tree. Keys of the top-level steps list are step names;
// since a name may contain '.', the longest name that fits the path wins.
void apply_override(ynode& root, const std::string& text, int index, std::size_t& budget, const reporter& rep) {
    const auto eq = text.find('=');
    if (eq == std::string::npos) rep.fail_set(index, "expected KEY.PATH=VALUE");
    const std::string key = trim(std::string_view(text).substr(0, eq));
    if (key.empty()) rep.fail_set(index, "the key before '=' is empty");
    YAML::Node parsed;
    try {
        parsed = YAML::Load(text.substr(eq + 1));
    } catch (const YAML::Exception& e) {
        rep.fail_set(index, "the value is not valid YAML: " + e.msg);
    }
    ynode value = from_yaml(parsed, index, budget, rep);

    ynode* cur = &root;
    std::string walked;  // the key path resolved so far, for messages
    std::string_view rest = key;
    for (;;) {
        if (rest.empty() || rest.front() == '.') rep.fail_set(index, "empty key inside " + quoted(key));
        ynode* next = nullptr;
        std::size_t seg_len = 0;
        if (cur->type == ynode::kind::null) {
            // Creating keys is allowed, e.g. a parameter the file leaves at its default.
            cur->type = ynode::kind::map;
            // The root keeps the file's 1:1, where "required key is missing" belongs.
            if (cur != &root) cur->where = pos{0, 0, index};
        }
        if (walked == "steps" && cur->type == ynode::kind::sequence) {
            std::string best;
            for (auto& item : cur->items) {
                const std::string name = step_name_of(item);
                if (name.empty() || name.size() <= best.size() || rest.substr(0, name.size()) != name) continue;
                if (rest.size() != name.size() && rest[name.size()] != '.') continue;
                best = name;
                next = &item;
            }
            if (next == nullptr) {
                std::vector<std::string> names;
                for (const auto& item : cur->items) names.push_back(step_name_of(item));
                rep.fail_set(index, "no step named " + quoted(rest.substr(0, rest.find('.'))) +
                                        (names.empty() ? " (there are no steps)" : "; steps: " + join(names)));
            }
            seg_len = best.size();
        } else if (cur->type == ynode::kind::map) {
            seg_len = std::min(rest.find('.'), rest.size());
            const std::string seg(rest.substr(0, seg_len));
            next = find_entry(*cur, seg);
            if (next == nullptr) {
                ynode k;
                k.type = ynode::kind::scalar;
                k.text = seg;
                k.where = pos{0, 0, index};
                ynode v;
                v.where = k.where;
                cur->entries.push_back({std::move(k), std::move(v)});
                next = &cur->entries.back().value;
            }
        } else {
            rep.fail_set(index, (walked.empty() ? std::string("the configuration") : quoted(walked)) + " is " +
                                    describe(*cur) + ", which has no key " + quoted(rest.substr(0, rest.find('.'))));
        }
        walked = join_path(walked, rest.substr(0, seg_len));
        rest.remove_prefix(seg_len);
        if (rest.empty()) {
            *next = std::move(value);
            return;
        }
        rest.remove_prefix(1);  // the '.'
        cur = next;
    }
}

}  // namespace

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
}

std::string join_path(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string quoted(std::string_view s) {
    return "'" + std::string(s) + "'";
}

std::string trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return std::string(s);
}

std::string describe(const ynode& n) {
    switch (n.type) {
        case ynode::kind::null:
            return "nothing";
        case ynode::kind::scalar:
            return "the value " + quoted(n.text);
        case ynode::kind::sequence:
            return "a list";
        case ynode::kind::map:
            return "a map";
    }
    return "?";
}

ynode* find_entry(ynode& map, std::string_view key) {
    for (auto& e : map.entries)
        if (e.key.type == ynode::kind::scalar && e.key.text == key) return &e.value;
    return nullptr;
}

const ynode* find_entry(const ynode& map, std::string_view key) {
    for (const auto& e : map.entries)
        if (e.key.type == ynode::kind::scalar && e.key.text == key) return &e.value;
    return nullptr;
}

std::string step_name_of(const ynode& step) {
    if (step.type != ynode::kind::map) return "";
    const ynode* name = find_entry(step, "name");
    return name != nullptr && name->type == ynode::kind::scalar ? name->text : "";
}

ynode load_tree(const std::string& yaml_text, const reporter& rep, const std::vector<std::string>& overrides) {
    std::vector<YAML::Node> docs;
    try {
        docs = YAML::LoadAll(yaml_text);
    } catch (const YAML::Exception& e) {
        if (e.mark.is_null()) throw config_error(rep.file() + ": " + e.msg);
        throw config_error(rep.file() + ":" + std::to_string(e.mark.line + 1) + ":" +
                           std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
    std::size_t budget = max_nodes;
    if (docs.size() > 1) {
        const ynode second = from_yaml(docs[1], -1, budget, rep);
        rep.fail(second.where, "",
                 "the file holds more than one YAML document ('---'); a configuration is one document");
    }
    ynode root;
    if (!docs.empty()) root = from_yaml(docs.front(), -1, budget, rep);
    if (root.where.line == 0) root.where = pos{1, 1, -1};
    for (std::size_t i = 0; i < overrides.size(); ++i)
        apply_override(root, overrides[i], static_cast<int>(i), budget, rep);
    return root;
}

}  // namespace tsbatch::config_tree
