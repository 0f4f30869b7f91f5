#include "pipeline/storage_stage.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <set>

#include "core/error.hpp"
#include "core/redact.hpp"
#include "parallel/agreement.hpp"
#include "pipeline/collective.hpp"
#include "storage/export_format.hpp"
#include "storage/opentsdb_rules.hpp"
#include "storage/push_journal.hpp"

namespace tsbatch {
namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) { return std::chrono::duration<double>(clock_type::now() - t0).count(); }

std::string part_name(const std::string& format, int rank) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "part-%05d", rank);
    return std::string(buf) + (format == "csv" ? ".csv.gz" : ".tsdb.gz");
}

// Rank 0 prints the lines (at most `shown`) and writes all of them to `report_path`.
void fail_on_violations(const comm& c, const std::vector<std::string>& violations, const std::string& report_path,
                        const std::string& consequence) {
    const auto bad = c.sum(violations.size());
    if (bad == 0) return;
    agreed_phase(c, [&] {
        report_listing how;
        how.what = "violations";
        how.shown = 1000;
        how.report_path = report_path;
        publish_report_lines(c, violations, how);
    });
    throw input_error(std::to_string(bad) + " violation" + (bad == 1 ? "" : "s") +
                      " of OpenTSDB's rules (listed above); " + consequence);
}

// One open collection with this rank's chunks.
struct open_source {
    staged_location where;
    std::optional<staged_reader> reader;
    rank_chunks share;
};

std::vector<open_source> open_sources(const comm& c, const std::vector<staged_location>& sources, const chunking& rule) {
    std::vector<open_source> out(sources.size());
    agreed_phase(c, [&] {
        for (std::size_t i = 0; i < sources.size(); ++i) {
            out[i].where = sources[i];
            out[i].reader.emplace(sources[i].path, sources[i].group, c);
        }
    });
    for (auto& s : out) s.share = chunks_of_rank(*s.reader, c, rule);
    return out;
}

// Calls fn(source, chunk index, batch) for every chunk this rank handles, sources in order.
template <class F>
void for_each_chunk(const std::vector<open_source>& sources, F&& fn) {
    for (const auto& s : sources)
        for (auto k = s.share.mine.begin; k < s.share.mine.end; ++k) fn(s, k, s.reader->read(s.share.chunks[k]));
}

// The tag keys of every source, for the CSV header (same on every rank).
std::vector<std::string> all_tag_keys(const comm& c, const std::vector<open_source>& sources) {
    std::set<std::string> keys;
    for (const auto& s : sources) {
        const auto rows = series_of(s.share.chunks, s.share.mine);
        for (const auto& tags : s.reader->read_strings("tags", rows.begin, rows.size()))
            for (const auto& kv : split_tags(tags)) keys.emplace(kv.first);
    }
    std::set<std::string> all;
    for (auto& k : c.allgather_strings({keys.begin(), keys.end()})) all.insert(std::move(k));
    for (const char* fixed : {"time", "value", "metric"})
        if (all.count(fixed))
            throw input_error("a tag key is named '" + std::string(fixed) +
                              "', which is also a fixed column of the CSV export; rename the tag or export to opentsdb-import");
    return {all.begin(), all.end()};
}

std::string sources_text(const std::vector<staged_location>& sources) {
    std::string s;
    for (const auto& x : sources) s += (s.empty() ? "" : ", ") + x.name();
    return s;
}

}  // namespace

staged_location location_of(const std::string& path, const std::string& group) {
    staged_location loc;
    loc.path = path;
    loc.group = group.empty() ? "/" : group;
    if (loc.group.front() != '/') loc.group.insert(loc.group.begin(), '/');
    while (loc.group.size() > 1 && loc.group.back() == '/') loc.group.pop_back();
    if (loc.group != "/") {
        const auto rest = loc.group.substr(1);
        const auto slash = rest.find('/');
        loc.step = rest.substr(0, slash);
        if (slash != std::string::npos) loc.output = rest.substr(slash + 1);
    }
    return loc;
}

staged_location parse_staged_location(const std::string& arg) {
    const auto colon = arg.rfind(':');
    std::error_code ec;
    if (colon != std::string::npos && colon > 0 && std::filesystem::is_regular_file(arg.substr(0, colon), ec))
        return location_of(arg.substr(0, colon), arg.substr(colon + 1));
    return location_of(arg, "/");
}

rank_chunks chunks_of_rank(const staged_reader& in, const comm& c, const chunking& rule) {
    rank_chunks out;
    out.chunks = make_chunks(in.counts(), rule);
    std::vector<double> cost(out.chunks.size());
    for (std::size_t k = 0; k < out.chunks.size(); ++k)
        for (auto i = out.chunks[k].begin; i < out.chunks[k].end; ++i)
            cost[k] += 16.0 + static_cast<double>(in.counts()[i]);
    out.mine = partition_contiguous(cost, c.size())[static_cast<std::size_t>(c.rank())];
    return out;
}

std::string export_name(const std::string& object_path) {
    std::string name;
    for (const char ch : object_path.substr(object_path.starts_with('/') ? 1 : 0)) name += ch == '/' ? '.' : ch;
    return name;
}

std::string default_journal(const std::vector<staged_location>& sources) {
    std::string name = sources.empty() ? std::string("tsbatch") : sources.front().path;
    if (sources.size() == 1 && sources.front().group != "/") name += '.' + export_name(sources.front().group);
    return name + ".push-journal";
}

void export_collections(const comm& c, const std::vector<staged_location>& where, const export_settings& s) {
    const auto t0 = clock_type::now();
    const storage::metric_template naming(s.metric_template);
    storage::check_options checks;
    checks.time.whole_seconds = s.whole_seconds;
    const bool csv = s.format == "csv";
    const auto sources = open_sources(c, where, chunking{});
    std::vector<std::string> tag_keys;
    if (csv) agreed_phase(c, [&] { tag_keys = all_tag_keys(c, sources); });

    agreed_phase(c, [&] {
        std::error_code ec;
        if (!c.is_root()) return;
        std::filesystem::create_directories(s.dir, ec);
        if (!std::filesystem::is_directory(s.dir, ec)) throw output_error("cannot create the output directory " + s.dir);
    });

    std::optional<storage::export_file> part;
    std::vector<std::string> violations;
    std::uint64_t lines = 0, nan_points = 0, series = 0;
    agreed_phase(c, [&] {
        // Level 1: several times faster than the default 6 for a few percent more bytes; export
        // speed is bound by compression otherwise.
        part.emplace((std::filesystem::path(s.dir) / part_name(s.format, c.rank())).string(), 1);
        std::string text;
        if (csv) text = storage::csv_header(tag_keys);  // every part is a CSV file of its own
        for_each_chunk(sources, [&](const open_source& src, std::size_t, const series_batch& batch) {
            for (std::size_t i = 0; i < batch.meta.size(); ++i) {
                const auto& m = batch.meta[i];
                const auto metric = naming.apply(m.metric, src.where.step, src.where.output);
                const auto points = batch.series(i);
                ++series;
                if (csv) {
                    lines += storage::append_csv_rows(text, metric, m.tags, points, tag_keys);
                } else {
                    const auto check = storage::check_series(m.id, metric, m.tags, points, checks);
                    nan_points += check.nan_points;
                    for (const auto& v : check.violations) violations.push_back(v.to_string());
                    // After the first violation nothing will be kept: only check the rest.
                    if (violations.empty()) lines += storage::append_import_lines(text, metric, m.tags, points, checks.time);
                }
                if (text.size() > (std::size_t{1} << 20)) {
                    part->write(text);
                    text.clear();
                }
            }
        });
        part->write(text);
    });
    fail_on_violations(c, violations, s.report_path, "nothing was written to " + s.dir);
    agreed_phase(c, [&] { part->commit(); });
    // Parts of an earlier export with more ranks would be imported twice: remove them.
    agreed_phase(c, [&] {
        if (!c.is_root()) return;
        for (int r = c.size();; ++r) {
            std::error_code ec;
            if (!std::filesystem::remove(std::filesystem::path(s.dir) / part_name(s.format, r), ec)) break;
        }
    });
    const auto total_lines = c.sum(lines), total_nan = c.sum(nan_points), total_series = c.sum(series);
    const double sec = seconds_since(t0);
    if (c.is_root()) {
        std::printf("exported %s to %s: %llu series, %llu %s in %d file%s in %.2f s (%.2f M lines/s)", sources_text(where).c_str(),
                    s.dir.c_str(), static_cast<unsigned long long>(total_series),
                    static_cast<unsigned long long>(total_lines), csv ? "rows" : "lines", c.size(), c.size() == 1 ? "" : "s",
                    sec, static_cast<double>(total_lines) / std::max(sec, 1e-9) / 1e6);
        if (!csv) std::printf("; %llu NaN points skipped (OpenTSDB refuses NaN)", static_cast<unsigned long long>(total_nan));
        std::printf("\n");
        std::fflush(stdout);
    }
}

namespace {

// What must not change between a push and its rerun for the journal to stay meaningful.
std::string push_fingerprint(const std::vector<staged_location>& sources, const push_settings& s, const chunking& rule) {
    std::string f;
    for (const auto& src : sources) {
        std::error_code ec;
        struct stat st {};
        const bool have = ::stat(src.path.c_str(), &st) == 0;
        f += "input " + std::filesystem::absolute(src.path, ec).string() + " group " + src.group + " size " +
             std::to_string(have ? st.st_size : -1) + " mtime_ns " +
             std::to_string(have ? st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec : -1) + "\n";
    }
    f += "metric " + s.metric_template + "\nwhole_seconds " + std::to_string(s.whole_seconds) + "\nbatch_points " +
         std::to_string(s.limits.max_points) + "\nmax_request_bytes " + std::to_string(s.limits.max_body_bytes) +
         "\ngzip_level " + std::to_string(s.limits.gzip_level) + "\nchunk_points " + std::to_string(rule.target_points) +
         "\nchunk_series " + std::to_string(rule.max_series) + "\n";
    return f;
}

// Checks every series of this rank (nothing is sent when any breaks OpenTSDB's rules) and
// collects the names for UID assignment ("metric\tname", "tagk\tname", "tagv\tname").
std::vector<std::string> check_sources(const std::vector<open_source>& sources, const storage::metric_template& naming,
                                       const storage::check_options& checks, std::set<std::string>* names) {
    std::vector<std::string> violations;
    for_each_chunk(sources, [&](const open_source& src, std::size_t, const series_batch& batch) {
        for (std::size_t i = 0; i < batch.meta.size(); ++i) {
            const auto& m = batch.meta[i];
            const auto metric = naming.apply(m.metric, src.where.step, src.where.output);
            for (const auto& v : storage::check_series(m.id, metric, m.tags, batch.series(i), checks).violations)
                violations.push_back(v.to_string());
            if (names == nullptr) continue;
            names->insert("metric\t" + metric);
            for (const auto& [key, value] : split_tags(m.tags)) {
                names->insert("tagk\t" + std::string(key));
                names->insert("tagv\t" + std::string(value));
            }
        }
    });
    return violations;
}

void assign_uids(const comm& c, storage::put_client& client, const std::set<std::string>& mine) {
    const auto all = c.allgather_strings({mine.begin(), mine.end()});
    if (!c.is_root()) return;
    std::set<std::string> metrics, tagks, tagvs;
    for (const auto& entry : all) {
        const auto tab = entry.find('\t');
        const auto kind = entry.substr(0, tab);
        (kind == "metric" ? metrics : kind == "tagk" ? tagks : tagvs).insert(entry.substr(tab + 1));
    }
    client.assign_uids({metrics.begin(), metrics.end()}, {tagks.begin(), tagks.end()}, {tagvs.begin(), tagvs.end()});
}

struct push_counts {
    std::uint64_t points = 0, requests = 0, skipped = 0, failed_points = 0;
};

}  // namespace

void push_collections(const comm& c, const std::vector<staged_location>& where, const push_settings& s) {
    const auto t0 = clock_type::now();
    const storage::metric_template naming(s.metric_template);
    storage::check_options checks;
    checks.time.whole_seconds = s.whole_seconds;
    const chunking rule{};
    const auto sources = open_sources(c, where, rule);

    std::vector<std::string> violations;
    std::set<std::string> names;
    agreed_phase(c, [&] { violations = check_sources(sources, naming, checks, s.assign_uids ? &names : nullptr); });
    fail_on_violations(c, violations, "", "nothing was sent");

    // Requests are named (chunk, index) with chunks numbered across the sources in order.
    std::vector<std::uint64_t> chunk_base(sources.size(), 0);
    for (std::size_t i = 1; i < sources.size(); ++i) chunk_base[i] = chunk_base[i - 1] + sources[i - 1].share.chunks.size();

    const auto print = c.broadcast(push_fingerprint(where, s, rule));  // rank 0's view of the inputs
    std::optional<storage::push_journal> journal;
    agreed_phase(c, [&] {
        if (c.is_root()) journal.emplace(s.journal, print, 0, true, s.restart);
    });
    agreed_phase(c, [&] {
        if (!c.is_root()) journal.emplace(s.journal, print, c.rank(), false, false);
    });
    const auto recorded = journal->recorded_at_open();

    storage::put_client client(s.client, storage::credentials::from_environment());
    if (s.assign_uids) agreed_phase(c, [&] { assign_uids(c, client, names); });

    push_counts n;
    std::string first_failure;
    std::vector<std::string> point_errors;
    using status = storage::put_outcome::status;
    agreed_phase(c, [&] {
        for (std::size_t si = 0; si < sources.size() && first_failure.empty(); ++si) {
            const auto& src = sources[si];
            for (auto k = src.share.mine.begin; k < src.share.mine.end && first_failure.empty(); ++k) {
                const std::uint64_t chunk_id = chunk_base[si] + k;
                const auto batch = src.reader->read(src.share.chunks[k]);
                std::vector<storage::put_series> series;
                series.reserve(batch.meta.size());
                for (std::size_t i = 0; i < batch.meta.size(); ++i)
                    series.push_back({naming.apply(batch.meta[i].metric, src.where.step, src.where.output), batch.meta[i].tags,
                                      batch.series(i)});
                const auto requests = storage::plan_put_requests(series, s.limits, checks.time);
                std::vector<std::size_t> todo;
                for (std::size_t j = 0; j < requests.size(); ++j) {
                    if (journal->done({chunk_id, j}))
                        ++n.skipped;
                    else
                        todo.push_back(j);
                }
                client.send(
                    requests, todo,
                    [&](std::size_t j, const storage::put_outcome& o) {
                        if (o.result == status::acknowledged || o.result == status::points_failed) {
                            // Either way the server stored points: never send this request again.
                            journal->record({chunk_id, j}, o.result == status::acknowledged ? "ack" : "partial");
                            ++n.requests;
                            n.points += requests[j].points - std::min(requests[j].points, o.failed_points);
                            n.failed_points += o.failed_points;
                            for (const auto& e : o.point_errors)
                                if (point_errors.size() < 20) point_errors.push_back(e);
                        } else if (first_failure.empty()) {
                            first_failure = o.message;
                        }
                    },
                    [&] { return !first_failure.empty(); });
            }
        }
        journal->sync();
        if (!first_failure.empty())
            throw storage_error("push to " + redact_url(s.client.url) + " failed: " + first_failure +
                                "; the acknowledged requests are recorded in " + s.journal +
                                ", rerun the same command to send the rest");
    });

    const auto points = c.sum(n.points), requests = c.sum(n.requests), skipped = c.sum(n.skipped);
    const auto failed = c.sum(n.failed_points);
    const auto errors = c.allgather_strings(point_errors);
    const double sec = seconds_since(t0);
    if (c.is_root()) {
        std::printf("pushed %s to %s: %llu points in %llu requests in %.2f s (%.2f M points/s); %llu requests "
                    "skipped as already answered (journal %s had %llu entries)\n",
                    sources_text(where).c_str(), redact_url(s.client.url).c_str(), static_cast<unsigned long long>(points),
                    static_cast<unsigned long long>(requests), sec, static_cast<double>(points) / std::max(sec, 1e-9) / 1e6,
                    static_cast<unsigned long long>(skipped), s.journal.c_str(), static_cast<unsigned long long>(recorded));
        for (const auto& e : errors) std::fprintf(stderr, "tsbatch: refused point: %s\n", e.c_str());
        std::fflush(stdout);
    }
    if (failed != 0)
        throw storage_error(std::to_string(failed) + " points were refused by " + redact_url(s.client.url) +
                            " (examples above); the other points were stored and their requests are recorded in " + s.journal);
}

}  // namespace tsbatch
