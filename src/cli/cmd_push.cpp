// `tsbatch push IN.h5[:GROUP] --url URL`: every point into OpenTSDB through HTTP /api/put,
// resumable through a journal of answered requests (see pipeline/storage_stage.hpp).
#include <memory>

#include "cli/commands.hpp"
#include "cli/run_context.hpp"
#include "pipeline/storage_stage.hpp"

namespace tsbatch {

void setup_push(CLI::App& app, command_action& action) {
    struct request {
        std::vector<std::string> inputs;
        push_settings settings;
    };
    auto req = std::make_shared<request>();
    auto& s = req->settings;
    auto* sub = app.add_subcommand("push", "Send a collection to OpenTSDB over HTTP /api/put, resumable through a journal");
    sub->add_option("inputs", req->inputs, "IN.h5 or IN.h5:GROUP; several are sent in order")->required();
    sub->add_option("--url", s.client.url, "Server, e.g. http://tsdb.example.org:4242 (credentials: see README)")->required();
    sub->add_option("--journal", s.journal, "Journal directory (default IN.h5[.GROUP].push-journal)");
    sub->add_flag("--restart", s.restart, "Forget the journal and send everything again");
    sub->add_option("--metric", s.metric_template,
                    "Metric name template: {metric}, {step}, {output}; a separator before an empty field is dropped")
        ->capture_default_str();
    sub->add_flag("--whole-seconds", s.whole_seconds, "Send timestamps as whole seconds (drops the ms)");
    sub->add_option("--batch-points", s.limits.max_points, "Points per request")
        ->check(CLI::Range(std::size_t{1}, std::size_t{10000000}))
        ->capture_default_str();
    sub->add_option("--max-request-bytes", s.limits.max_body_bytes,
                    "Largest gzip body; a stock OpenTSDB refuses more than 8192 (see README)")
        ->check(CLI::Range(std::size_t{256}, std::size_t{1} << 30))
        ->capture_default_str();
    sub->add_option("--connections", s.client.connections, "Requests in flight per rank")
        ->check(CLI::Range(1, 256))
        ->capture_default_str();
    sub->add_option("--retries", s.client.max_retries, "Retries of a request on connection errors and 5xx")
        ->check(CLI::Range(0, 100))
        ->capture_default_str();
    sub->add_option("--timeout", s.client.timeout_s, "Seconds per request")->check(CLI::Range(0.1, 86400.0))->capture_default_str();
    sub->add_flag("--assign-uids", s.assign_uids,
                  "Register metric and tag names first (/api/uid/assign) for servers without auto_create_metrics");
    sub->final_callback([&action, req] {
        action = [req](invocation& inv) {
            return run_parallel(inv.argc, inv.argv, [req](const comm& c) {
                std::vector<staged_location> sources;
                for (const auto& in : req->inputs) sources.push_back(parse_staged_location(in));
                auto settings = req->settings;
                if (settings.journal.empty()) settings.journal = default_journal(sources);
                push_collections(c, sources, settings);
                return 0;
            });
        };
    });
}

}  // namespace tsbatch
