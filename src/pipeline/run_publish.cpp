#include "pipeline/run_publish.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/redact.hpp"
#include "pipeline/pg_export.hpp"
#include "pipeline/storage_stage.hpp"
#include "storage/opentsdb_rules.hpp"

namespace tsbatch {

namespace {

// The kept outputs of kind `kind` of the steps `steps` names (all when absent), as groups of
// the committed result file.
std::vector<staged_location> kept_outputs(const run_config& cfg, const std::optional<std::vector<std::string>>& steps,
                                          data_kind kind, const execution& ex) {
    std::vector<staged_location> sources;
    for (const auto& st : ex.steps) {
        if (!cfg.keeps(st.name)) continue;
        if (steps && std::find(steps->begin(), steps->end(), st.name) == steps->end()) continue;
        const bool multi = st.outputs.size() > 1;
        for (const auto& out : st.outputs)
            if (out.kind == kind)
                sources.push_back(location_of(cfg.output.path, "/" + st.name + (multi ? "/" + out.name : "")));
    }
    return sources;
}

// The /api/put push. The result file is new, so a rerun of the run sends everything again;
// what a failed push left undone is sent by the `tsbatch push` command the error names.
void push_sources(const comm& c, const run_config& cfg, const opentsdb_output& o,
                  const std::vector<staged_location>& sources) {
    push_settings s;
    s.journal = o.journal.empty() ? cfg.output.path + ".push-journal" : o.journal;
    s.metric_template = o.metric;
    s.whole_seconds = o.whole_seconds;
    s.limits.max_points = o.batch_points;
    s.limits.max_body_bytes = o.max_request_bytes;
    s.client.url = o.url;
    s.client.connections = static_cast<int>(o.connections);
    s.client.max_retries = static_cast<int>(o.retries);
    s.restart = true;
    try {
        push_collections(c, sources, s);
    } catch (const storage_error& e) {
        std::string resume = "tsbatch push";
        for (const auto& src : sources) resume += " " + src.name();
        resume += " --url " + redact_url(s.client.url) + " --journal " + s.journal + " --metric '" + s.metric_template +
                  "'" + " --batch-points " + std::to_string(s.limits.max_points) + " --max-request-bytes " +
                  std::to_string(s.limits.max_body_bytes) + (s.whole_seconds ? " --whole-seconds" : "");
        throw storage_error(std::string(e.what()) + ". The result file " + cfg.output.path +
                            " is complete; to send only the rest, run: " + resume);
    }
}

}  // namespace

void check_publish_settings(const run_config& cfg) {
    if (cfg.output.opentsdb) (void)storage::metric_template(cfg.output.opentsdb->metric);
    if (cfg.output.postgres) (void)storage::metric_template(cfg.output.postgres->table);
}

void publish_to_opentsdb(const comm& c, const run_config& cfg, const opentsdb_output& o, const execution& ex) {
    const auto sources = kept_outputs(cfg, o.steps, data_kind::series, ex);
    if (sources.empty()) {
        if (c.is_root()) std::fprintf(stderr, "tsbatch: warning: output.opentsdb: no kept step has series to send\n");
        return;
    }
    if (!o.import_dir.empty()) {
        export_settings s;
        s.dir = o.import_dir;
        s.metric_template = o.metric;
        s.whole_seconds = o.whole_seconds;
        export_collections(c, sources, s);
    }
    if (!o.url.empty()) push_sources(c, cfg, o, sources);
}

void publish_to_postgres(const comm& c, const run_config& cfg, const postgres_output& o, const execution& ex) {
    const auto tables = kept_outputs(cfg, o.steps, data_kind::table, ex);
    if (tables.empty()) {
        if (c.is_root()) std::fprintf(stderr, "tsbatch: warning: output.postgres: no kept step has a table to load\n");
        return;
    }
    const storage::metric_template naming(o.table);
    std::vector<std::string> loaded;
    for (const auto& t : tables) {
        postgres_settings s{naming.apply("", t.step, t.output), o.mode, o.dsn};
        try {
            export_to_postgres(c, t, s);
        } catch (const storage_error& e) {
            std::string done;
            for (const auto& name : loaded) done += (done.empty() ? "" : ", ") + name;
            throw storage_error(std::string(e.what()) + ". The result file " + cfg.output.path + " is complete" +
                                (done.empty() ? "" : " and " + done + " loaded") + "; to load " + s.table +
                                ", run: tsbatch export --to postgres " + t.name() + " --table '" + s.table +
                                "' --mode " + s.mode + (s.dsn.empty() ? "" : " --dsn '" + s.dsn + "'"));
        }
        loaded.push_back(s.table);
    }
}

}  // namespace tsbatch
