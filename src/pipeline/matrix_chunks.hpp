#pragma once
// Writes a matrix whose tiles come from many ranks so that no two ranks ever write into the
// same chunk of the file. A tile that covers whole chunks goes straight to the file; a piece
// of a chunk is kept until this rank has every cell of that chunk (then the chunk is written
// whole), and pieces of chunks shared with other ranks travel, at finish(), to one rank that
// writes each such chunk whole.
//
// Why: independent MPI-IO writes of parts of one chunk from two ranks rely on the MPI-IO
// layer's read-modify-write with file locks (data sieving), which is slow everywhere and
// unsafe on file systems mounted without locking. With whole chunks every write is one
// contiguous range owned by one rank.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <vector>

#include "parallel/comm.hpp"

namespace tsbatch {

class matrix_chunk_writer {
public:
    /// write_tile(row0, col0, rows, cols, values): writes a row-major tile to the file.
    using tile_writer = std::function<void(std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                                           std::span<const double>)>;

    /// A rows x cols matrix stored in square chunks of `chunk` rows and columns.
    matrix_chunk_writer(std::uint64_t rows, std::uint64_t cols, std::uint64_t chunk, tile_writer write_tile);

    /// Not collective: a tile of this rank's (tiles of all ranks never overlap).
    void write(std::uint64_t row0, std::uint64_t col0, std::uint64_t rows, std::uint64_t cols,
               std::span<const double> values);

    /// Collective: pieces of chunks this rank could not complete go to the chunk's rank
    /// (chunk index modulo ranks), which writes each such chunk whole; cells no rank wrote
    /// stay NaN (the file's fill value).
    void finish(const comm& c);

    /// Chunks held incomplete now (for tests).
    std::size_t pending_chunks() const noexcept { return pending_.size(); }

private:
    struct piece {
        std::uint64_t row0, col0, rows, cols;
        std::vector<double> values;
    };
    struct pending_chunk {
        std::vector<piece> pieces;
        std::uint64_t cells = 0;
    };

    std::uint64_t chunk_extent(std::uint64_t index, std::uint64_t size) const;
    void write_chunk(std::uint64_t ci, std::uint64_t cj, const std::vector<piece>& pieces);

    std::uint64_t rows_, cols_, chunk_;
    tile_writer write_tile_;
    std::map<std::pair<std::uint64_t, std::uint64_t>, pending_chunk> pending_;
};

}  // namespace tsbatch
