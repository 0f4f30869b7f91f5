#include "cli/cli_docs.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace tsbatch {
namespace {

// The exit codes (core/error.hpp), for every page's EXIT STATUS.
constexpr const char* exit_status_text[][2] = {
    {"0", "success"},
    {"1", "internal error (a bug, or an MPI or HDF5 failure)"},
    {"2", "usage or config error, or an output path that cannot be written"},
    {"3", "input data error: a missing, foreign or malformed input file, an invalid series"},
    {"4", "finished, but some series were skipped (run.on_series_error: skip)"},
    {"5", "storage tier (OpenTSDB, PostgreSQL) failure"},
    {"75", "stopped by SIGTERM or SIGUSR1 with the finished chunks recorded: rerun to resume"},
};

bool visible(const CLI::App* sub) { return !sub->get_group().empty() && !sub->get_name().empty(); }

std::vector<const CLI::App*> commands_of(const CLI::App& app) {
    return app.get_subcommands([](const CLI::App* sub) { return visible(sub); });
}

/// Text for roff: backslashes and hyphens escaped, no line starting with a control character.
std::string roff(const std::string& text) {
    std::string out;
    bool line_start = true;
    for (const char ch : text) {
        if (line_start && (ch == '.' || ch == '\'')) out += "\\&";
        if (ch == '\\') out += "\\e";
        else if (ch == '-') out += "\\-";
        else out += ch;
        line_start = ch == '\n';
    }
    return out;
}

/// "-o, --output" as roff, bold.
std::string option_names(const CLI::Option* opt) {
    std::string out;
    for (const auto& s : opt->get_snames()) out += (out.empty() ? "" : ", ") + std::string("\\fB\\-") + roff(s) + "\\fR";
    for (const auto& l : opt->get_lnames()) out += (out.empty() ? "" : ", ") + std::string("\\fB\\-\\-") + roff(l) + "\\fR";
    return out;
}

/// The values an option takes from a fixed set ("{csv,opentsdb-import}" in its type name,
/// as CLI::IsMember writes it), or none.
std::vector<std::string> choices_of(const CLI::Option* opt) {
    const auto type = opt->get_type_name();
    const auto open = type.find('{'), close = type.find('}');
    std::vector<std::string> out;
    if (open == std::string::npos || close == std::string::npos || close < open) return out;
    std::stringstream list(type.substr(open + 1, close - open - 1));
    for (std::string item; std::getline(list, item, ',');) out.push_back(item);
    // Only plain words go into a completion list: a choice like "," or "\t" would need
    // quoting there, and a list that drops one would mislead, so such options get none.
    const auto plain = [](const std::string& w) {
        return !w.empty() && std::all_of(w.begin(), w.end(), [](char ch) {
            return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.';
        });
    };
    if (!std::all_of(out.begin(), out.end(), plain)) out.clear();
    return out;
}

bool takes_value(const CLI::Option* opt) { return opt->get_items_expected_max() > 0 && !opt->get_positional(); }

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

void write_file(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw output_error("cannot write " + path.string());
}

std::string page_header(const std::string& name, const std::string& version) {
    std::string upper;
    for (const char ch : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return ".TH " + roff(upper) + " 1 \"\" \"tsbatch " + roff(version) + "\" \"tsbatch manual\"\n";
}

std::string exit_status_section() {
    std::string out = ".SH EXIT STATUS\nAll ranks agree on the code; the highest wins.\n";
    for (const auto& [code, text] : exit_status_text) out += ".TP\n.B " + std::string(code) + "\n" + roff(text) + "\n";
    return out;
}

std::string command_page(const CLI::App& root, const CLI::App& cmd, const std::string& version) {
    const std::string name = "tsbatch-" + cmd.get_name();
    std::string out = page_header(name, version);
    out += ".SH NAME\n" + roff(name) + " \\- " + roff(first_line(cmd.get_description())) + "\n";
    out += ".SH SYNOPSIS\n.B tsbatch " + roff(cmd.get_name()) + "\n[\\fIOPTIONS\\fR]";
    const auto positionals = cmd.get_options([](const CLI::Option* o) { return o->get_positional(); });
    for (const auto* p : positionals) {
        const bool many = p->get_items_expected_max() > 1;
        const std::string arg = "\\fI" + roff(p->get_name(true)) + "\\fR" + (many ? "..." : "");
        out += p->get_required() ? " " + arg : " [" + arg + "]";
    }
    out += "\n.SH DESCRIPTION\n" + roff(cmd.get_description()) + "\n";
    if (!positionals.empty()) {
        out += ".SH ARGUMENTS\n";
        for (const auto* p : positionals)
            out += ".TP\n\\fI" + roff(p->get_name(true)) + "\\fR\n" + roff(p->get_description()) + "\n";
    }
    out += ".SH OPTIONS\n";
    for (const auto* opt : cmd.get_options([](const CLI::Option* o) { return !o->get_positional(); })) {
        if (opt->get_group().empty()) continue;  // hidden
        out += ".TP\n" + option_names(opt);
        if (takes_value(opt)) {
            const auto type = opt->get_type_name();
            out += " \\fI" + roff(type.empty() ? "VALUE" : type) + "\\fR";
        }
        out += "\n" + roff(opt->get_description());
        if (!opt->get_default_str().empty()) out += " (default: " + roff(opt->get_default_str()) + ")";
        if (opt->get_required()) out += " (required)";
        out += "\n";
    }
    out += exit_status_section();
    out += ".SH SEE ALSO\n\\fBtsbatch\\fR(1)";
    for (const auto* other : commands_of(root))
        if (other != &cmd) out += ", \\fBtsbatch\\-" + roff(other->get_name()) + "\\fR(1)";
    out += "\n";
    return out;
}

std::string main_page(const CLI::App& app, const std::string& version) {
    std::string out = page_header("tsbatch", version);
    const auto description = app.get_description();
    out += ".SH NAME\ntsbatch \\- " + roff(first_line(description.substr(description.find(':') + 2))) + "\n";
    out += ".SH SYNOPSIS\n.B tsbatch\n\\fICOMMAND\\fR [\\fIOPTIONS\\fR]\n.br\n.B tsbatch\n\\-\\-version | \\-\\-help\n";
    out += ".SH DESCRIPTION\n" + roff(description) + "\n";
    out += "Each command has a page of its own: \\fBman tsbatch\\-run\\fR, and so on.\n";
    out += ".SH COMMANDS\n";
    for (const auto* cmd : commands_of(app))
        out += ".TP\n\\fBtsbatch " + roff(cmd->get_name()) + "\\fR\n" + roff(cmd->get_description()) + "\n";
    out += ".SH OPTIONS\n.TP\n\\fB\\-\\-version\\fR\nPrint the version and git id.\n"
           ".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nPrint the commands.\n";
    out += exit_status_section();
    out += ".SH FILES\nExample run configurations are in \\fI$TSBATCH_HOME/share/tsbatch/config\\fR, Slurm job "
           "scripts in \\fI$TSBATCH_HOME/share/tsbatch/jobs/slurm\\fR and the README in "
           "\\fI$TSBATCH_HOME/share/doc/tsbatch\\fR, $TSBATCH_HOME being the install prefix.\n";
    out += ".SH SEE ALSO\n";
    std::string list;
    for (const auto* cmd : commands_of(app))
        list += (list.empty() ? "" : ", ") + std::string("\\fBtsbatch\\-") + roff(cmd->get_name()) + "\\fR(1)";
    out += list + "\n";
    return out;
}

/// A word list for bash's `compgen -W`, quoted for a bash string.
std::string words(const std::vector<std::string>& list) {
    std::string out;
    for (const auto& w : list) out += (out.empty() ? "" : " ") + w;
    return out;
}

}  // namespace

void write_man_pages(const CLI::App& app, const std::string& dir, const std::string& version) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (!std::filesystem::is_directory(dir, ec)) throw output_error("cannot create the directory " + dir);
    const std::filesystem::path d(dir);
    write_file(d / "tsbatch.1", main_page(app, version));
    for (const auto* cmd : commands_of(app))
        write_file(d / ("tsbatch-" + cmd->get_name() + ".1"), command_page(app, *cmd, version));
}

std::string bash_completion(const CLI::App& app) {
    std::vector<std::string> names;
    for (const auto* cmd : commands_of(app)) names.push_back(cmd->get_name());
    std::string out =
        "# bash completion for tsbatch, made from its command-line description by `tsbatch docs`.\n"
        "_tsbatch() {\n"
        "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd= i\n"
        "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
        "    case ${COMP_WORDS[i]} in -*) ;; *) cmd=${COMP_WORDS[i]}; break ;; esac\n"
        "  done\n"
        "  local opts\n"
        "  case $cmd in\n"
        "    '') COMPREPLY=($(compgen -W '" + words(names) + " --help --version' -- \"$cur\")); return ;;\n";
    std::string choices;
    for (const auto* cmd : commands_of(app)) {
        std::vector<std::string> opts;
        for (const auto* opt : cmd->get_options([](const CLI::Option* o) { return !o->get_positional(); })) {
            if (opt->get_group().empty()) continue;
            for (const auto& l : opt->get_lnames()) opts.push_back("--" + l);
            for (const auto& s : opt->get_snames()) opts.push_back("-" + s);
            const auto values = choices_of(opt);
            if (values.empty()) continue;
            std::string pattern;
            for (const auto& l : opt->get_lnames()) pattern += (pattern.empty() ? "" : "|") + std::string("'") + cmd->get_name() + " --" + l + "'";
            for (const auto& s : opt->get_snames()) pattern += (pattern.empty() ? "" : "|") + std::string("'") + cmd->get_name() + " -" + s + "'";
            choices += "    " + pattern + ") COMPREPLY=($(compgen -W '" + words(values) + "' -- \"$cur\")); return ;;\n";
        }
        out += "    " + cmd->get_name() + ") opts='" + words(opts) + "' ;;\n";
    }
    out += "    *) return ;;\n"
           "  esac\n"
           "  case \"$cmd $prev\" in\n" +
           choices +
           "  esac\n"
           "  if [[ $cur == -* ]]; then\n"
           "    COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
           "  else\n"
           "    compopt -o filenames 2>/dev/null\n"
           "    COMPREPLY=($(compgen -f -- \"$cur\"))\n"
           "  fi\n"
           "}\n"
           "complete -F _tsbatch tsbatch\n";
    return out;
}

void write_bash_completion(const CLI::App& app, const std::string& path) { write_file(path, bash_completion(app)); }

}  // namespace tsbatch
