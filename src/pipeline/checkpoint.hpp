#pragma once
// run.checkpoint: the finished chunks of a run, kept on disk so that a run killed by a time
// limit, a preemption or a node failure resumes where it stopped (DESIGN §7).
//
// Chunks are named by their index in the run's chunk list, which does not depend on the rank
// count, so a rerun on another number of ranks reuses them too. Each finished chunk's
// execution (every step's outputs for its series, and the series skipped) goes to its own
// file, written under a temporary name, fsync'ed and renamed, so a file under its final name
// is always complete. A `header` file holds the run's fingerprint (effective config, input
// identity, chunking, tsbatch version): a checkpoint of another run is refused.
//
// No MPI, no HDF5: ranks write disjoint files; the caller orders the header's creation.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/executor.hpp"

namespace tsbatch {

/// Binary form of an execution (versioned; host byte order, since a checkpoint is read back
/// by the same build on the same cluster). deserialize throws input_error naming `what` when
/// the bytes are damaged.
std::string serialize_execution(const execution& ex);
execution deserialize_execution(std::string_view bytes, const std::string& what);

/// Appends `next` (the execution of the chunk after the ones in `whole`) to `whole`: outputs
/// are concatenated step by step, skipped series listed after, seconds and counts summed.
/// An empty `whole` (no steps yet) simply becomes `next`.
void append_execution(execution& whole, execution&& next);

class checkpoint_store {
public:
    /// Opens `dir` for the run described by `fingerprint`. With `may_create` (one rank only)
    /// the directory and header are created when absent, or emptied and rewritten when
    /// `restart`. A header with another fingerprint is a config_error (exit 2) naming the
    /// directory, unless `restart`. Other ranks open after that rank (barrier in between).
    checkpoint_store(std::string dir, const std::string& fingerprint, bool may_create, bool restart);
    ~checkpoint_store();  ///< sync()s
    checkpoint_store(const checkpoint_store&) = delete;
    checkpoint_store& operator=(const checkpoint_store&) = delete;

    const std::string& dir() const noexcept { return dir_; }
    /// Whether chunk `k` is recorded (checked on the file system each time).
    bool has(std::size_t k) const;
    execution load(std::size_t k) const;
    /// Records chunk `k`: written to a temporary file and renamed, so the file is complete
    /// once it has its name and survives the process being killed (the usual end of a job at
    /// its time limit). Flushing to disk (fdatasync of the files, fsync of the directory) is
    /// done every `sync_interval` and by sync(): flushing each chunk cost 20-100 % of a fast
    /// run here, since it makes the run wait for the disk. After a machine crash a chunk of the
    /// last interval may be missing or damaged; the checksum detects the latter and the chunk
    /// is computed again, so a crash can cost time but never a wrong result.
    void save(std::size_t k, const execution& ex);
    /// Pieces: other work a run records besides its chunks (a dataset-wide step's snapshots),
    /// each a file named by `name` (letters, digits, '.', '-', '_'), written and flushed like
    /// the chunks and checked by a checksum. The names that start with `prefix`:
    std::vector<std::string> pieces(const std::string& prefix) const;
    /// The bytes of piece `name`; nothing when it is missing or damaged.
    std::optional<std::string> load_piece(const std::string& name) const;
    /// Records (or replaces) piece `name`.
    void save_piece(const std::string& name, std::string_view bytes);

    /// Flushes every chunk and piece saved so far to disk (a stopped run does before it exits).
    void sync();
    /// Removes the directory and everything in it (after the result is committed).
    void remove() const;

private:
    static constexpr std::chrono::seconds sync_interval{30};
    std::string chunk_path(std::size_t k) const;
    std::string piece_path(const std::string& name) const;
    std::string dir_;
    std::vector<int> pending_;  ///< descriptors of chunk files saved since the last sync
    bool header_unsynced_ = false;  ///< the header was written by this run and not yet flushed
    std::chrono::steady_clock::time_point last_sync_ = std::chrono::steady_clock::now();
};

}  // namespace tsbatch
