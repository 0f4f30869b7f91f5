#include "pipeline/matrix_chunks.hpp"

#include <algorithm>
#include <limits>

#include "algo/dataset/dataset_support.hpp"
#include "core/error.hpp"

namespace tsbatch {

matrix_chunk_writer::matrix_chunk_writer(std::uint64_t rows, std::uint64_t cols, std::uint64_t chunk,
                                         tile_writer write_tile)
    : rows_(rows), cols_(cols), chunk_(chunk), write_tile_(std::move(write_tile)) {
    if (chunk_ == 0) throw internal_error("matrix_chunk_writer: chunk size 0");
}

// Rows (or columns) of chunk `index` along an axis of `size`: chunk_, less at the far edge.
std::uint64_t matrix_chunk_writer::chunk_extent(std::uint64_t index, std::uint64_t size) const {
    return std::min(chunk_, size - index * chunk_);
}

void matrix_chunk_writer::write(std::uint64_t row0, std::uint64_t col0, std::uint64_t rows, std::uint64_t cols,
                                std::span<const double> values) {
    if (rows == 0 || cols == 0) return;
    if (row0 + rows > rows_ || col0 + cols > cols_ || values.size() != rows * cols)
        throw internal_error("matrix_chunk_writer: tile outside the matrix");
    const auto on_grid = [&](std::uint64_t at, std::uint64_t n, std::uint64_t size) {
        return at % chunk_ == 0 && ((at + n) % chunk_ == 0 || at + n == size);
    };
    if (on_grid(row0, rows, rows_) && on_grid(col0, cols, cols_)) {
        write_tile_(row0, col0, rows, cols, values);  // whole chunks: one write
        return;
    }
    // Cut into the chunks it touches; keep each piece until its chunk is complete here.
    for (std::uint64_t ci = row0 / chunk_; ci * chunk_ < row0 + rows; ++ci)
        for (std::uint64_t cj = col0 / chunk_; cj * chunk_ < col0 + cols; ++cj) {
            const std::uint64_t r0 = std::max(row0, ci * chunk_), r1 = std::min(row0 + rows, (ci + 1) * chunk_);
            const std::uint64_t c0 = std::max(col0, cj * chunk_), c1 = std::min(col0 + cols, (cj + 1) * chunk_);
            piece p{r0, c0, r1 - r0, c1 - c0, {}};
            p.values.reserve(p.rows * p.cols);
            for (std::uint64_t r = r0; r < r1; ++r) {
                const auto from = values.begin() + static_cast<std::ptrdiff_t>((r - row0) * cols + (c0 - col0));
                p.values.insert(p.values.end(), from, from + static_cast<std::ptrdiff_t>(p.cols));
            }
            auto& pc = pending_[{ci, cj}];
            pc.cells += p.rows * p.cols;
            pc.pieces.push_back(std::move(p));
            if (pc.cells == chunk_extent(ci, rows_) * chunk_extent(cj, cols_)) {
                write_chunk(ci, cj, pc.pieces);
                pending_.erase({ci, cj});
            }
        }
}

// The chunk (ci, cj) assembled from `pieces` (NaN where none is) and written whole.
void matrix_chunk_writer::write_chunk(std::uint64_t ci, std::uint64_t cj, const std::vector<piece>& pieces) {
    const std::uint64_t nr = chunk_extent(ci, rows_), nc = chunk_extent(cj, cols_);
    std::vector<double> chunk(nr * nc, std::numeric_limits<double>::quiet_NaN());
    for (const auto& p : pieces)
        for (std::uint64_t r = 0; r < p.rows; ++r)
            std::copy_n(p.values.begin() + static_cast<std::ptrdiff_t>(r * p.cols), p.cols,
                        chunk.begin() + static_cast<std::ptrdiff_t>((p.row0 - ci * chunk_ + r) * nc + (p.col0 - cj * chunk_)));
    write_tile_(ci * chunk_, cj * chunk_, nr, nc, chunk);
}

void matrix_chunk_writer::finish(const comm& c) {
    const auto R = static_cast<std::uint64_t>(c.size());
    const std::uint64_t chunk_cols = (cols_ + chunk_ - 1) / chunk_;
    std::vector<byte_writer> to(R);
    for (const auto& [at, pc] : pending_) {
        auto& w = to[(at.first * chunk_cols + at.second) % R];
        for (const auto& p : pc.pieces) {
            w.pod(at.first);
            w.pod(at.second);
            w.pod(p.row0);
            w.pod(p.col0);
            w.pod(p.rows);
            w.pod(p.cols);
            w.array(p.values);
        }
    }
    pending_.clear();
    std::vector<std::vector<std::byte>> send;
    for (auto& w : to) send.push_back(w.take());
    std::map<std::pair<std::uint64_t, std::uint64_t>, std::vector<piece>> mine;
    for (const auto& part : c.alltoallv(std::move(send))) {
        byte_reader r(part);
        while (!r.at_end()) {
            const auto ci = r.pod<std::uint64_t>(), cj = r.pod<std::uint64_t>();
            piece p;
            p.row0 = r.pod<std::uint64_t>();
            p.col0 = r.pod<std::uint64_t>();
            p.rows = r.pod<std::uint64_t>();
            p.cols = r.pod<std::uint64_t>();
            p.values = r.array<double>();
            mine[{ci, cj}].push_back(std::move(p));
        }
    }
    for (const auto& [at, pieces] : mine) write_chunk(at.first, at.second, pieces);
}

}  // namespace tsbatch
