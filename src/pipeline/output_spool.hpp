#pragma once
// The points of the series outputs a rank computes for the result file, held until the result
// is written in bounded memory: up to a budget in memory (run.output_memory_mb), the rest in a
// temporary file next to the result.
//
// Why hold them at all: a rank's slab of a result dataset starts after the points of every
// lower rank, and an HDF5 dataset of fixed size can only be created once its size is known,
// so nothing can go into the result before every rank has finished its chunks. The file is
// unlinked as soon as it is opened (or never named, with O_TMPFILE): it takes no name in the
// output directory that a crash, a kill or an error could leave behind, and its space is
// returned when the process ends, however it ends.
//
// No MPI, no HDF5: one rank's store, written to by the compute phase and read back by the
// result writer through point_source.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/point_source.hpp"

namespace tsbatch {

class output_spool {
public:
    /// Streams of points (one per series output) held in at most `memory_bytes` of memory; the
    /// rest goes to a temporary file in the directory of `result_path`, named after it (and
    /// `rank`) while it is being opened. `piece_points`: the most points a source() hands over
    /// at once from the file (its buffers are that size).
    output_spool(std::string result_path, std::uint64_t memory_bytes, int rank, std::size_t streams,
                 std::uint64_t piece_points = std::uint64_t{1} << 21);
    ~output_spool();
    output_spool(const output_spool&) = delete;
    output_spool& operator=(const output_spool&) = delete;

    /// Appends points to stream `s` (after the ones it holds). Throws output_error when the
    /// temporary file cannot be created or written (no space), naming it.
    void append(std::size_t s, std::span<const std::int64_t> time, std::span<const double> value);

    std::size_t streams() const noexcept { return streams_.size(); }
    /// Points held by stream `s`.
    std::uint64_t points(std::size_t s) const;
    /// Bytes written to the temporary file so far (0: everything fitted in memory).
    std::uint64_t spilled_bytes() const noexcept { return file_end_; }
    /// The most bytes held in memory at once.
    std::uint64_t peak_memory_bytes() const noexcept { return peak_memory_; }

    /// Stream `s`'s points, in order, for a writer. Valid while the spool lives; one source
    /// at a time (they share the read buffers).
    std::unique_ptr<point_source> source(std::size_t s);

    /// Copies points [at, at + n) of stream `s` into `time` and `value`.
    void read(std::size_t s, std::uint64_t at, std::uint64_t n, std::int64_t* time, double* value) const;

private:
    struct extent {
        std::uint64_t first;  ///< index of the stream's first point in it
        std::uint64_t n;
        std::uint64_t time_at, value_at;  ///< byte offsets in the file
    };
    struct stream {
        std::vector<extent> spilled;  ///< in order; the points in memory follow them
        std::uint64_t spilled_points = 0;
        std::vector<std::int64_t> time;
        std::vector<double> value;
    };
    class reader;

    void flush();  ///< every stream's points in memory to the file
    void write_out(stream& st, std::span<const std::int64_t> time, std::span<const double> value);
    void put(const void* data, std::size_t bytes);
    void open_file();

    std::string result_path_;
    std::uint64_t budget_;
    int rank_;
    std::uint64_t piece_;
    std::vector<stream> streams_;
    std::uint64_t in_memory_ = 0, peak_memory_ = 0;
    int fd_ = -1;
    std::string file_what_;  ///< how errors name the file
    std::uint64_t file_end_ = 0;
    std::vector<std::int64_t> time_buf_;
    std::vector<double> value_buf_;
};

}  // namespace tsbatch
