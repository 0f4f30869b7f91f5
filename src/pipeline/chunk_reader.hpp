#pragma once
// The input chunks of one rank's compute loop, in the order the loop takes them, optionally
// read ahead on a second thread: while the loop computes chunk k, chunks k+1 and k+2 are
// copied from the file into buffers of their own, so that reading costs the loop nothing but
// the wait for the first chunk (on one process reading from the page cache, a quarter of a
// run over 200 M points). Two chunks ahead, not one: a read takes about three quarters of a
// chunk's computation there, and with one buffer ahead every read slower than its chunk's
// computation made the loop wait (0.11-0.13 s of a 1.3 s run; 0.04-0.07 s with two).
// Neither HDF5 (built without thread safety) nor MPI may be entered from two threads at
// once: a read in place waits for the reads ahead, and the caller reads ahead only where a
// read makes no MPI call (an input opened without MPI-IO, i.e. one process) and where the
// process has a second CPU to read on (usable_cpus()).
#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <vector>

#include "core/background_worker.hpp"
#include "core/series.hpp"

namespace tsbatch {

/// The CPUs this process may run on (its affinity mask; at least 1).
int usable_cpus() noexcept;

/// One chunk of input as the compute loop takes it.
struct input_chunk {
    series_batch batch;
    bool valid = false;  ///< every series is known to pass check_series (checked where read)
};

class chunk_reader {
public:
    /// Reads chunk k into the chunk given (whose buffers it may reuse).
    using read_fn = std::function<void(std::size_t k, input_chunk& chunk)>;

    /// Chunks read ahead at most, each into a buffer of its own.
    static constexpr std::size_t depth = 2;

    /// `order`: the chunks the loop will take, in that order. With `ahead`, a thread reads
    /// up to `depth` of them ahead of the one being computed; without, take() reads in place.
    chunk_reader(read_fn read, std::vector<std::size_t> order, bool ahead);
    ~chunk_reader();  // waits for a read in progress
    chunk_reader(const chunk_reader&) = delete;
    chunk_reader& operator=(const chunk_reader&) = delete;

    /// Chunk k into `chunk` (its old buffers are kept for a later chunk). A chunk asked out
    /// of `order` is read in place, once the read ahead is done (never two reads at once); a
    /// read's error is thrown here, by the chunk that met it.
    void take(std::size_t k, input_chunk& chunk);

private:
    // A chunk read ahead, or being read: order_[i] goes into slots_[i % depth].
    struct slot {
        input_chunk chunk;
        std::exception_ptr error;  ///< the read's, thrown by take() of this chunk
        std::uint64_t place = 0;   ///< the worker's number of the read, to wait for
    };
    void read_ahead();  // order_[posted_] into its slot, on the worker

    read_fn read_;
    std::vector<std::size_t> order_;
    std::size_t next_ = 0;    // the place in order_ of the chunk take() expects
    std::size_t posted_ = 0;  // the place in order_ of the next chunk to read ahead
    std::array<slot, depth> slots_;
    bool failed_ = false;                        // a read ahead failed: no more reading ahead
    std::unique_ptr<background_worker> worker_;  // last: stopped before what its job reads into
};

}  // namespace tsbatch
