#pragma once
// The input chunks of one rank's compute loop, in the order the loop takes them, optionally
// read one chunk ahead on a second thread: while the loop computes chunk k, chunk k+1 is
// copied from the file into a second buffer, so that reading costs the loop nothing but the
// wait for the first chunk (on one process reading from the page cache, a quarter of a run
// over 200 M points). Neither HDF5 (built without thread safety) nor MPI may be entered from two
// threads at once: a read in place waits for the read ahead, and the caller reads ahead only
// where a read makes no MPI call (an input opened without MPI-IO, i.e. one process) and
// where the process has a second CPU to read on (usable_cpus()).
#include <cstddef>
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

    /// `order`: the chunks the loop will take, in that order. With `ahead`, a thread reads
    /// each one while the previous one is computed; without, take() reads in place.
    chunk_reader(read_fn read, std::vector<std::size_t> order, bool ahead);
    ~chunk_reader();  // waits for a read in progress
    chunk_reader(const chunk_reader&) = delete;
    chunk_reader& operator=(const chunk_reader&) = delete;

    /// Chunk k into `chunk` (its old buffers are kept for a later chunk). A chunk asked out
    /// of `order` is read in place, once the read ahead is done (never two reads at once); a
    /// read's error is thrown here, by the chunk that met it.
    void take(std::size_t k, input_chunk& chunk);

private:
    void read_ahead();  // order_[next_] into ahead_, on the worker

    read_fn read_;
    std::vector<std::size_t> order_;
    std::size_t next_ = 0;  // the chunk of order_ read into ahead_ (or being read)
    input_chunk ahead_;
    std::exception_ptr ahead_error_;
    bool failed_ = false;                        // a read ahead failed: no more reading ahead
    std::unique_ptr<background_worker> worker_;  // last: stopped before what its job reads into
};

}  // namespace tsbatch
