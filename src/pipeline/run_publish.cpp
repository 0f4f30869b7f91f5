#include "pipeline/run_publish.hpp"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/redact.hpp"
#include "pipeline/storage_stage.hpp"
#include "storage/opentsdb_rules.hpp"

namespace tsbatch {

namespace {

// The kept series outputs of the steps output.opentsdb.steps names (all when absent), as
// collections of the committed result file.
std::vector<staged_location> sources_to_send(const run_config& cfg, const opentsdb_output& o, const execution& ex) {
    std::vector<staged_location> sources;
    for (const auto& st : ex.steps) {
        if (!cfg.keeps(st.name)) continue;
        if (o.steps && std::find(o.steps->begin(), o.steps->end(), st.name) == o.steps->end()) continue;
        const bool multi = st.outputs.size() > 1;
        for (const auto& out : st.outputs)
            if (out.kind == data_kind::series)
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
}

void publish_to_opentsdb(const comm& c, const run_config& cfg, const opentsdb_output& o, const execution& ex) {
    const auto sources = sources_to_send(cfg, o, ex);
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

}  // namespace tsbatch
