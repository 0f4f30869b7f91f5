#pragma once
// What the dataset-wide operators share: packing values into bytes for the comm's
// collectives, shipping a block of series between ranks, the local chunk grid, and the
// checks that need every rank (a time axis shared by all series, the identity of a row held
// by another rank). No MPI here: everything goes through `const comm&`. Per-chunk partials
// are combined by parallel/ordered_reduce.hpp: in chunk order when they are a few numbers,
// over the fixed chunk tree (reduce_chunk_tree, reduce_chunk_tree_sliced) when they are
// large (pca, kmeans).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "algo/dataset_operator.hpp"
#include "core/bytes.hpp"
#include "core/error.hpp"
#include "core/series.hpp"
#include "parallel/comm.hpp"

namespace tsbatch {

/// Each rank's values of one message, concatenated in rank order: the gather of variable
/// size records (partials, candidates) that every rank then folds in the same order.
std::vector<std::vector<std::byte>> allgather_bytes(const comm& c, const std::vector<std::byte>& local);

/// A block of series that owns its points: what one rank ships to another.
struct series_block {
    std::uint64_t first_row = 0;  ///< global row of the first series
    std::vector<std::uint64_t> offset{0};
    /// The block as pack_block wrote it: `time` and `value` point into these bytes, so a
    /// received block is read where it arrived and passed on as it is, with no copy.
    std::vector<std::byte> bytes;
    std::span<const std::int64_t> time;
    std::span<const double> value;
    /// Every series has the timestamps in `time` (a block on one grid: the axis is shipped
    /// and held once); otherwise `time` runs beside `value`.
    bool one_axis = false;

    series_block() = default;
    series_block(series_block&&) noexcept = default;  // the bytes move, and the views with them
    series_block& operator=(series_block&&) noexcept = default;
    series_block(const series_block&) = delete;  // a copy's views would point at the original
    series_block& operator=(const series_block&) = delete;

    std::size_t size() const noexcept { return offset.size() - 1; }
    series_view series(std::size_t i) const noexcept {
        const auto b = offset[i], n = offset[i + 1] - b;
        return {one_axis ? time : time.subspan(b, n), value.subspan(b, n)};
    }
    std::vector<series_view> views() const;
};

/// A block as bytes: its counts, its timestamps (once when every series has the same ones,
/// as after a resample: half the bytes of the block), its values; every array starts on 8
/// bytes, so that the receiver reads it in place.
std::vector<std::byte> pack_block(std::span<const series_view> series, std::uint64_t first_row);
/// The block of pack_block's bytes, which it keeps (series_block::bytes).
series_block unpack_block(std::vector<std::byte> bytes);

/// Views of every series of a batch.
std::vector<series_view> views_of(const series_batch& b);

/// The local row range [begin, end) of each of this rank's chunks, in chunk order.
struct row_range {
    std::size_t begin = 0, end = 0;
    std::size_t size() const noexcept { return end - begin; }
};
std::vector<row_range> local_chunks(const dataset_input& in);

/// This rank's first global row and the total, from every rank's row count (collective).
std::pair<std::uint64_t, std::uint64_t> global_rows(const comm& c, std::uint64_t local_rows);

/// Collective: the timestamps of global row 0 on every rank (empty without rows).
std::vector<std::int64_t> time_axis_of_row0(const comm& c, std::span<const series_view> local);

/// Collective. The global row of the first series (over all ranks, in run order) whose
/// timestamps differ from `axis` (time_axis_of_row0), or -1 when all share them. `local`
/// are this rank's series, the first at global row `first_row`.
std::int64_t first_time_axis_mismatch(const comm& c, std::span<const series_view> local, std::uint64_t first_row,
                                      std::span<const std::int64_t> axis);

/// Collective: the values of global row `row` (of a local row-major matrix of `d` columns)
/// on every rank, from the rank that holds it.
std::vector<double> row_of_matrix(const comm& c, std::span<const double> local, std::size_t d, std::uint64_t first_row,
                                  std::uint64_t row);

/// Collective: the identity (id, metric, tags, source index) of each global row in `rows`,
/// from the ranks holding them. Every rank passes the same `rows` and gets the same answer;
/// only the rows asked for travel, so it serves for a top-k list, not for every row.
std::vector<series_meta> identities_of_rows(const comm& c, const std::vector<series_meta>& local_meta,
                                            std::uint64_t first_row, std::span<const std::uint64_t> rows);

/// Collective: the id of global row `row`, from the rank that holds it (every rank gets it).
std::string id_of_row(const comm& c, const std::vector<series_meta>& local_meta, std::uint64_t first_row,
                      std::uint64_t row);

}  // namespace tsbatch
