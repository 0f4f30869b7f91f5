#pragma once
// The record of acknowledged /api/put requests that makes `tsbatch push` resumable. A
// request is named by (chunk, index): chunks are the run's rank-count-independent chunks of
// series and the index is its position in plan_put_requests' output for that chunk, so a
// rerun with any number of ranks plans the same requests and skips exactly the recorded ones.
//
// Layout: a directory holding `header` (the push's fingerprint: input file, its size and
// mtime, group, template, time encoding, limits, chunking) and one append-only `rank-<r>.log`
// per writing rank with a line "chunk index status" per ended request. Each line is written
// with one write(2) as soon as the server answers, so a killed process loses nothing it was
// told; the file is fdatasync'ed at least once a second and on close.
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>

namespace tsbatch::storage {

struct request_id {
    std::uint64_t chunk = 0;
    std::uint64_t index = 0;
    friend bool operator==(const request_id&, const request_id&) = default;
};

class push_journal {
public:
    /// Opens (creating when absent) the journal at `dir` for the push described by
    /// `fingerprint`. Throws usage_error (exit 2) naming the journal when it holds a different
    /// fingerprint; `restart` empties it instead. Reads every rank-*.log present.
    /// Only rank 0 may create or reset the directory: call with `may_create` on rank 0 first,
    /// then on the others after a barrier.
    push_journal(std::string dir, const std::string& fingerprint, int rank, bool may_create, bool restart);
    ~push_journal();
    push_journal(const push_journal&) = delete;
    push_journal& operator=(const push_journal&) = delete;

    /// True when an earlier or this run recorded the request as ended (acknowledged, or
    /// stored with some points refused: resending either would duplicate points).
    bool done(request_id id) const;
    /// Number of requests recorded when the journal was opened.
    std::uint64_t recorded_at_open() const noexcept;

    /// Records that `id` ended; `status` is "ack" or "partial".
    void record(request_id id, const char* status);
    /// fdatasync now (also done by the destructor).
    void sync();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace tsbatch::storage
