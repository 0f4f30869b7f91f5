#pragma once
// The parallel half of stage-in: every rank has parsed some of the inputs into its own
// accumulator, and a series may have points in several ranks' inputs (one file per year, say).
// merge_across_ranks brings each series' points together on one rank, so the staged file
// holds every series once, whatever the number of ranks.
//
// Memory per rank: every rank holds all series keys (about 2 x the key length + 40 B a
// series) to agree on the global order; points pass through at most 32 B each (the received
// messages and the batch they are copied into; each message is freed once copied).
#include "core/series.hpp"
#include "ingest/accumulator.hpp"
#include "ingest/parse_context.hpp"
#include "parallel/comm.hpp"

namespace tsbatch::ingest {

/// Collective. Returns this rank's contiguous share (near-equal points) of all series of all
/// ranks' accumulators, sorted by metric then tags. A series' points are taken in rank order,
/// which is the input order when rank r parsed the inputs after rank r-1's, sorted by time
/// (stably) and duplicates resolved by `policy`; reports go to `ctx` on the owning rank.
/// meta.source_index is the series' global row. Empties `acc`.
series_batch merge_across_ranks(const comm& c, accumulator& acc, duplicate_policy policy, parse_context& ctx);

}  // namespace tsbatch::ingest
