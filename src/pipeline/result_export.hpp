#pragma once
// `tsbatch export` of any part of a file: one collection goes out as import files or CSV
// (storage_stage.hpp); with --to csv also a table, a matrix, a step with several outputs or a
// whole result file, where every table and matrix becomes CSV files of its own and every
// collection a directory of CSV parts.
#include <cstdint>
#include <string>
#include <vector>

#include "io/result_reader.hpp"
#include "parallel/comm.hpp"
#include "pipeline/storage_stage.hpp"

namespace tsbatch {

/// One CSV file of a table or matrix export: rows [row0, row0 + rows) of `object`.
struct csv_file_plan {
    stored_object object;
    std::string file;  ///< name inside the export directory
    std::uint64_t row0 = 0;
    std::uint64_t rows = 0;
};

/// The files of `object` (total_rows rows): `<name>.csv`, or `<name>.part-NNNNN.csv` of at
/// most rows_per_part rows each when it has more, where <name> is the object's path without
/// the leading '/' and with '.' for '/' ("corr.top_pairs"). An empty table has one file.
std::vector<csv_file_plan> plan_csv_files(const stored_object& object, std::uint64_t total_rows,
                                          std::uint64_t rows_per_part);

/// Collective. Exports `where`: a collection as export_collections does; anything else (only
/// with --to csv) as the CSV files of every table and matrix at and below it, spread over the
/// ranks, with every collection below it in a directory `<name>/` of its own. Files are
/// written under temporary names and renamed when complete. Prints a summary on rank 0.
void export_location(const comm& c, const staged_location& where, const export_settings& s);

}  // namespace tsbatch
