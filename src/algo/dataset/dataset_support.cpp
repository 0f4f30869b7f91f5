#include "algo/dataset/dataset_support.hpp"

#include <algorithm>

namespace tsbatch {

std::vector<std::vector<std::byte>> allgather_bytes(const comm& c, const std::vector<std::byte>& local) {
    std::vector<std::size_t> counts;
    const auto all = c.allgatherv(std::span<const std::byte>(local), &counts);
    std::vector<std::vector<std::byte>> out;
    out.reserve(counts.size());
    std::size_t at = 0;
    for (auto n : counts) {
        out.emplace_back(all.begin() + static_cast<std::ptrdiff_t>(at),
                         all.begin() + static_cast<std::ptrdiff_t>(at + n));
        at += n;
    }
    return out;
}

std::vector<series_view> series_block::views() const {
    std::vector<series_view> v;
    v.reserve(size());
    for (std::size_t i = 0; i < size(); ++i) v.push_back(series(i));
    return v;
}

namespace {

// Whether every series has the timestamps of the first.
bool on_one_axis(std::span<const series_view> series) {
    if (series.empty()) return false;
    const auto axis = series.front().time;
    for (const auto& s : series)
        if (!same_time_axis(axis, s.time)) return false;
    return true;
}

}  // namespace

std::vector<std::byte> pack_block(std::span<const series_view> series, std::uint64_t first_row) {
    std::size_t points = 0;
    for (const auto& s : series) points += s.size();
    const bool one_axis = on_one_axis(series);
    byte_writer w;
    w.reserve_huge(64 + 16 * series.size() + (one_axis ? 8 * series.front().size() + 8 * points : 16 * points));
    w.pod(first_row);
    std::vector<std::uint64_t> counts;
    counts.reserve(series.size());
    for (const auto& s : series) counts.push_back(s.size());
    w.array(counts);
    w.pod(static_cast<std::uint64_t>(one_axis));  // 8 bytes, so that the arrays below stay aligned
    // The timestamps (the one axis, or every series' after one another), then the values:
    // one array each, read in place by the receiver.
    if (one_axis) {
        w.array(series.front().time);
    } else {
        w.pod(static_cast<std::uint64_t>(points));
        for (const auto& s : series) w.items(s.time);
    }
    w.pod(static_cast<std::uint64_t>(points));
    for (const auto& s : series) w.items(s.value);
    return w.take();
}

series_block unpack_block(std::vector<std::byte> bytes) {
    series_block b;
    b.bytes = std::move(bytes);
    byte_reader r(b.bytes);
    b.first_row = r.pod<std::uint64_t>();
    const auto counts = r.array<std::uint64_t>();
    b.one_axis = r.pod<std::uint64_t>() != 0;
    b.offset.reserve(counts.size() + 1);
    for (auto n : counts) b.offset.push_back(b.offset.back() + n);
    b.time = r.view_array<std::int64_t>();
    b.value = r.view_array<double>();
    if (b.value.size() != b.offset.back()) throw internal_error("unpack_block: point counts disagree");
    if (b.one_axis) {
        for (auto n : counts)
            if (n != b.time.size()) throw internal_error("unpack_block: a series off the block's one time axis");
    } else if (b.time.size() != b.value.size()) {
        throw internal_error("unpack_block: point counts disagree");
    }
    return b;
}

std::vector<series_view> views_of(const series_batch& b) {
    std::vector<series_view> v;
    v.reserve(b.size());
    for (std::size_t i = 0; i < b.size(); ++i) v.push_back(b.series(i));
    return v;
}

std::vector<row_range> local_chunks(const dataset_input& in) {
    std::vector<row_range> out;
    std::size_t at = 0;
    for (auto n : in.chunk_rows) {
        out.push_back({at, at + n});
        at += n;
    }
    if (at != in.rows()) throw internal_error("dataset input: chunk rows do not add up to the rank's rows");
    return out;
}

std::pair<std::uint64_t, std::uint64_t> global_rows(const comm& c, std::uint64_t local_rows) {
    const auto all = c.allgather(local_rows);
    std::uint64_t first = 0, total = 0;
    for (std::size_t r = 0; r < all.size(); ++r) {
        if (static_cast<int>(r) < c.rank()) first += all[r];
        total += all[r];
    }
    return {first, total};
}

namespace {

// The rank holding global row `row`, from every rank's row count.
int owner_of(const comm& c, std::uint64_t local_rows, std::uint64_t row) {
    const auto all = c.allgather(local_rows);
    std::uint64_t at = 0;
    for (std::size_t r = 0; r < all.size(); ++r) {
        if (row < at + all[r]) return static_cast<int>(r);
        at += all[r];
    }
    return -1;
}

}  // namespace

std::vector<std::int64_t> time_axis_of_row0(const comm& c, std::span<const series_view> local) {
    const int owner = owner_of(c, local.size(), 0);
    if (owner < 0) return {};
    std::vector<std::byte> axis;
    if (c.rank() == owner) {
        const auto t = local.front().time;
        axis.resize(t.size_bytes());
        if (!t.empty()) std::memcpy(axis.data(), t.data(), t.size_bytes());
    }
    c.impl().broadcast(axis, owner);
    std::vector<std::int64_t> t0(axis.size() / sizeof(std::int64_t));
    if (!axis.empty()) std::memcpy(t0.data(), axis.data(), axis.size());
    return t0;
}

std::int64_t first_time_axis_mismatch(const comm& c, std::span<const series_view> local, std::uint64_t first_row,
                                      std::span<const std::int64_t> axis) {
    std::int64_t mine = -1;
    std::span<const std::int64_t> checked;  // the last axis found equal, which series may share
    for (std::size_t i = 0; i < local.size(); ++i) {
        const auto t = local[i].time;
        if (!t.empty() && t.data() == checked.data() && t.size() == checked.size()) continue;
        if (!same_time_axis(t, axis)) {
            mine = static_cast<std::int64_t>(first_row + i);
            break;
        }
        checked = t;
    }
    // The smallest mismatching row over all ranks (-1 means none).
    std::int64_t first = -1;
    for (auto r : c.allgather(mine))
        if (r >= 0 && (first < 0 || r < first)) first = r;
    return first;
}

std::vector<double> row_of_matrix(const comm& c, std::span<const double> local, std::size_t d, std::uint64_t first_row,
                                  std::uint64_t row) {
    const int owner = owner_of(c, local.size() / (d ? d : 1), row);
    if (owner < 0) throw internal_error("row_of_matrix: no rank holds row " + std::to_string(row));
    std::vector<std::byte> bytes;
    if (c.rank() == owner) {
        const auto* p = reinterpret_cast<const std::byte*>(local.data() + (row - first_row) * d);
        bytes.assign(p, p + d * sizeof(double));
    }
    c.impl().broadcast(bytes, owner);
    std::vector<double> v(d);
    if (d) std::memcpy(v.data(), bytes.data(), d * sizeof(double));
    return v;
}

std::string id_of_row(const comm& c, const std::vector<series_meta>& local_meta, std::uint64_t first_row,
                      std::uint64_t row) {
    const int owner = owner_of(c, local_meta.size(), row);
    if (owner < 0) throw internal_error("id_of_row: no rank holds row " + std::to_string(row));
    std::string id;
    if (c.rank() == owner) id = local_meta[static_cast<std::size_t>(row - first_row)].id;
    return c.broadcast(id, owner);
}

std::vector<series_meta> identities_of_rows(const comm& c, const std::vector<series_meta>& local_meta,
                                            std::uint64_t first_row, std::span<const std::uint64_t> rows) {
    byte_writer w;
    for (std::size_t k = 0; k < rows.size(); ++k)
        if (rows[k] >= first_row && rows[k] - first_row < local_meta.size()) {
            const series_meta& m = local_meta[static_cast<std::size_t>(rows[k] - first_row)];
            w.pod(static_cast<std::uint64_t>(k));
            w.text(m.id);
            w.text(m.metric);
            w.text(m.tags);
            w.pod(m.source_index);
        }
    std::vector<series_meta> out(rows.size());
    for (const auto& part : allgather_bytes(c, w.take())) {
        byte_reader r(part);
        while (!r.at_end()) {
            auto& m = out.at(static_cast<std::size_t>(r.pod<std::uint64_t>()));
            m.id = r.text();
            m.metric = r.text();
            m.tags = r.text();
            m.source_index = r.pod<std::uint64_t>();
        }
    }
    return out;
}

}  // namespace tsbatch
