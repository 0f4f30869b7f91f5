#pragma once
// The points of the series outputs a rank computes for the result file, held until the result
// is written in bounded memory: up to a budget in memory (run.output_memory_mb), the rest in
// temporary files next to the result.
//
// Why hold them at all: a rank's slab of a result dataset starts after the points of every
// lower rank, and an HDF5 dataset of fixed size can only be created once its size is known,
// so nothing can go into the result before every rank has finished its chunks.
//
// Each stream (one series output) keeps its first points in memory while the budget lasts;
// once a stream's points do not fit, that stream's later points go to two files of their own
// (times, values), appended in order, so that the writer maps them back piece by piece
// without copying. Data spilled this way is copied twice (into the page cache, then into the
// result), data in memory once; moving points from memory to the files later would cost a
// third copy. The files are opened with O_TMPFILE, or created and unlinked at once: they take
// no name in the output directory that a crash, a kill or an error could leave behind, and
// their space is returned when the process ends, however it ends.
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

class background_worker;

class output_spool {
public:
    /// Streams of points (one per series output) held in at most `memory_bytes` of memory; the
    /// rest goes to temporary files in the directory of `result_path`, named after it (and
    /// `rank`) while they are being opened. `piece_points`: the most points a source() hands
    /// over at once from the files.
    output_spool(std::string result_path, std::uint64_t memory_bytes, int rank, std::size_t streams,
                 std::uint64_t piece_points = std::uint64_t{1} << 20);
    ~output_spool();
    output_spool(const output_spool&) = delete;
    output_spool& operator=(const output_spool&) = delete;

    /// Appends points to stream `s` (after the ones it holds). Throws output_error when a
    /// temporary file cannot be created or written (no space), naming it.
    void append(std::size_t s, std::span<const std::int64_t> time, std::span<const double> value);
    /// The same, taking the vectors: points bound for the files are then written from them
    /// by the background writer, when there is one, without a copy.
    void append(std::size_t s, std::vector<std::int64_t>&& time, std::vector<double>&& value);

    /// From now on, the points bound for the files are written by a thread of the spool's
    /// own while the caller goes on (the caller computing, the thread copying into the page
    /// cache: for a process with a second CPU). At most `queued_bytes` wait for it; a write
    /// error is thrown by a later append(), source() or read().
    void write_in_background(std::uint64_t queued_bytes = std::uint64_t{64} << 20);

    std::size_t streams() const noexcept { return streams_.size(); }
    /// Points held by stream `s`.
    std::uint64_t points(std::size_t s) const;
    /// Bytes written to the temporary files (0: everything fitted in memory).
    std::uint64_t spilled_bytes() const noexcept { return spilled_; }
    /// Bytes of points held in memory (at most the budget).
    std::uint64_t memory_bytes() const noexcept { return in_memory_; }

    /// Stream `s`'s points, in order, for a writer. Valid while the spool lives; one source
    /// at a time (they share the read buffers and the mapped window).
    std::unique_ptr<point_source> source(std::size_t s);

    /// Copies points [at, at + n) of stream `s` into `time` and `value`.
    void read(std::size_t s, std::uint64_t at, std::uint64_t n, std::int64_t* time, double* value) const;

private:
    struct stream {
        std::vector<std::int64_t> time;  ///< the points held in memory: the stream's first ones
        std::vector<double> value;
        int time_fd = -1, value_fd = -1;  ///< the later points, when there are some
        std::uint64_t file_points = 0;
    };
    class reader;
    class window;

    /// Whether `n` more points of `st` stay in memory (the budget lasts, and the stream has
    /// nothing in its files yet: its points stay in order, memory first, then the files).
    bool stays_in_memory(const stream& st, std::uint64_t n) const;
    void keep_in_memory(stream& st, std::span<const std::int64_t> time, std::span<const double> value);
    /// The place of `n` more points of `st` in its files (opening them the first time).
    std::uint64_t claim_file_points(stream& st, std::uint64_t n);
    void write_points(int time_fd, int value_fd, std::uint64_t at, std::span<const std::int64_t> time,
                      std::span<const double> value);
    void open_files(stream& st);
    int open_file();
    void put(int fd, const void* data, std::size_t bytes, std::uint64_t at);
    void get(int fd, void* out, std::size_t bytes, std::uint64_t at) const;

    std::string result_path_;
    std::uint64_t budget_;
    int rank_;
    std::uint64_t piece_;
    std::vector<stream> streams_;
    std::uint64_t in_memory_ = 0, spilled_ = 0;
    std::string file_what_;               ///< how errors name the files
    std::vector<std::int64_t> time_buf_;  ///< a piece that is partly in memory, partly in the files
    std::vector<double> value_buf_;
    std::unique_ptr<background_worker> writer_;  // last: stopped before the files close
};

}  // namespace tsbatch
