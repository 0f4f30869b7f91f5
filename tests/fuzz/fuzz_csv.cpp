// Fuzz target for the CSV reader (src/ingest/csv_reader.hpp). The first byte picks the
// options (layout, separator, decimal comma, time format, zone, name mode, duplicate policy)
// and the second the block size; the rest is the file, read from memory (gunzipped when it
// starts with the gzip magic). Any input must either be read, with every record and report
// keeping its contract, or be refused with a tsbatch::error; anything else aborts.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "ingest/accumulator.hpp"
#include "text/byte_source.hpp"
#include "ingest/csv_reader.hpp"
#include "ingest/time_field.hpp"

namespace {

using namespace tsbatch::ingest;
using namespace tsbatch::text;

[[noreturn]] void broken(const char* invariant) {
    std::fprintf(stderr, "fuzz_csv: %s\n", invariant);
    std::abort();
}

// Europe/Paris when the system has its TZif file (DST gaps and overlaps), else a fixed offset.
time_zone paris_or_fixed() {
    try {
        return time_zone::from_name("Europe/Paris");
    } catch (const tsbatch::error&) {
        return time_zone::fixed(120);
    }
}

const time_zone& zone(unsigned pick) {
    static const time_zone utc;
    static const time_zone plus_one = time_zone::fixed(60);
    static const time_zone paris = paris_or_fixed();
    return pick == 0 ? utc : pick == 1 ? plus_one : paris;
}

csv_options options(std::uint8_t bits) {
    csv_options o;
    o.layout = (bits & 1U) != 0 ? csv_layout::wide_form : csv_layout::long_form;
    static constexpr char separators[4] = {'\0', ',', ';', '\t'};
    o.separator = separators[(bits >> 1U) & 3U];
    o.decimal_comma = (bits & 8U) != 0 && o.separator != ',';
    static constexpr time_format formats[4] = {time_format::auto_detect, time_format::iso8601, time_format::epoch_s,
                                               time_format::epoch_ms};
    o.time_format = formats[(bits >> 4U) & 3U];
    o.zone = zone(((bits >> 6U) & 3U) % 3);
    o.dst = (bits & 0x40U) != 0 ? dst_policy::error : dst_policy::compatible;
    o.nan_markers = {"-9999", "n/a"};
    o.max_line_bytes = 512;
    if (o.layout == csv_layout::long_form) {
        o.metric_column = "metric";
        o.tag_columns = {parse_tag_column("site"), parse_tag_column("d=depth")};
    } else {
        o.skip_empty_cells = (bits & 0x80U) == 0;
    }
    return o;
}

// Parser reports name the file and line; the accumulator's duplicate reports name a series.
void check(const diagnostic& d) {
    if (d.kind == diagnostic_kind::duplicate_time) {
        if (d.message.find("series ") != 0) broken("a duplicate report does not name the series");
    } else if (d.file != "fuzz.csv" || d.line == 0) {
        broken("a report does not name its place");
    }
    if (d.text.size() > 4 * max_text_bytes + 3) broken("a report's text is not cut");
    if (d.message.empty()) broken("a report has no message");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const csv_options o = options(data[0]);
    const std::size_t block = 1 + data[1] % 64;
    const std::string_view text(reinterpret_cast<const char*>(data + 2), size - 2);
    const name_mode mode = (data[1] & 0x40U) != 0 ? name_mode::sanitise : name_mode::check;
    accumulator acc;
    parse_context ctx(check, mode);
    try {
        auto src = open_memory("fuzz.csv", text, block);
        read_csv(*src, o, acc, ctx);
    } catch (const tsbatch::error&) {
        return 0;  // refused with a message: a header problem, a corrupt gzip
    }
    const auto policy = static_cast<duplicate_policy>((data[1] >> 6U) & 3U);
    const std::uint64_t points = acc.point_count();
    const tsbatch::series_batch batch = acc.finish(policy, ctx);
    if (batch.point_count() > points) broken("the accumulator made points");
    for (std::size_t i = 0; i < batch.size(); ++i) {
        const auto s = batch.series(i);
        if (batch.meta[i].metric.empty()) broken("a series has an empty metric");
        if (mode == name_mode::check && classify_name(batch.meta[i].metric) == name_class::structural)
            broken("a structural metric got through");
        for (std::size_t k = 0; k < s.size(); ++k) {
            if (k > 0 && s.time[k] <= s.time[k - 1]) broken("times are not strictly increasing");
            if (s.time[k] > max_abs_time_ms || s.time[k] < -max_abs_time_ms) broken("a time is out of range");
            if (std::isinf(s.value[k])) broken("an infinite value got through");
        }
    }
    return 0;
}
