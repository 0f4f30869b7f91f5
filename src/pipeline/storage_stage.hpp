#pragma once
// The way out to OpenTSDB, shared by `tsbatch export`, `tsbatch push` and the output.opentsdb
// stage of `tsbatch run`: which collections of a file go out, each rank's chunks of them
// (boundaries independent of the rank count), the checks against OpenTSDB's rules, and the
// writing of import files or the journaled HTTP push. Built into the executable (it reads
// HDF5); the formats and the client live in tsbatch_storage.
#include <string>
#include <vector>

#include "io/staged.hpp"
#include "parallel/comm.hpp"
#include "parallel/partition.hpp"
#include "storage/put_client.hpp"
#include "storage/put_requests.hpp"

namespace tsbatch {

/// A collection in a file, and the naming fields it gives the metric template.
struct staged_location {
    std::string path;
    std::string group = "/";
    std::string step;    ///< "hourly" for /hourly and /hourly/match, "" for the root
    std::string output;  ///< "match" for /hourly/match, "" otherwise

    std::string name() const { return group == "/" ? path : path + ":" + group; }
};

/// "IN.h5" or "IN.h5:/group" (also "IN.h5:group"). The part after the last ':' is a group
/// only when the part before it is an existing file, so paths with ':' still work.
staged_location parse_staged_location(const std::string& arg);

/// The file or directory name of an object's export: its path without the leading '/' and
/// with '.' for '/' ("/corr/r" -> "corr.r").
std::string export_name(const std::string& object_path);

/// The collection `group` of `path`, with its naming fields.
staged_location location_of(const std::string& path, const std::string& group);

/// The collection's chunks and the contiguous run of them this rank handles (near-equal points).
struct rank_chunks {
    std::vector<index_range> chunks;
    index_range mine;  ///< indices into chunks
};
rank_chunks chunks_of_rank(const staged_reader& in, const comm& c, const chunking& rule = {});

/// The default metric template: the source metric, then the step and output when there are.
inline constexpr const char* default_metric_template = "{metric}.{step}.{output}";

struct export_settings {
    std::string format = "opentsdb-import";  ///< or "csv"
    std::string dir;                         ///< part-RRRRR.tsdb.gz / part-RRRRR.csv.gz go here
    std::string metric_template = default_metric_template;
    bool whole_seconds = false;
    std::string report_path;                 ///< every violation, when set
    /// CSV of tables and matrices: at most this many rows per file; a bigger one is cut into
    /// numbered parts (the cut depends on the data only, not on the rank count).
    std::uint64_t rows_per_part = 1'000'000;
};

struct push_settings {
    std::string journal;                     ///< directory; required
    std::string metric_template = default_metric_template;
    bool whole_seconds = false;
    bool assign_uids = false;
    bool restart = false;
    storage::request_limits limits;
    storage::put_client_options client;
};

/// Collective. Writes every series of `sources` (in order) to one gzip file per rank. Every
/// series is checked against OpenTSDB's rules first (import format); on any violation all are
/// reported and input_error is thrown with no file left behind. Prints a summary on rank 0.
void export_collections(const comm& c, const std::vector<staged_location>& sources, const export_settings& s);

/// Collective. Sends every point of `sources` through /api/put, skipping the requests the
/// journal records as answered. Throws input_error when a series breaks OpenTSDB's rules
/// (nothing sent) and storage_error (exit 5) when the server fails or refuses points.
void push_collections(const comm& c, const std::vector<staged_location>& sources, const push_settings& s);

/// The default journal directory of a push of `sources`: next to the first file.
std::string default_journal(const std::vector<staged_location>& sources);

}  // namespace tsbatch
