// Fuzz target for the OpenTSDB `tsdb import` reader (src/ingest/opentsdb_text.hpp). The first
// byte picks the block size, the name mode and a short line limit; the rest is the file, read
// from memory (gunzipped when it starts with the gzip magic). Any input must either be read,
// with every record and report keeping its contract, or be refused with a tsbatch::error
// (corrupt gzip); anything else aborts.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "core/error.hpp"
#include "text/byte_source.hpp"
#include "ingest/opentsdb_text.hpp"
#include "ingest/time_field.hpp"

namespace {

using namespace tsbatch::ingest;
using namespace tsbatch::text;

[[noreturn]] void broken(const char* invariant) {
    std::fprintf(stderr, "fuzz_opentsdb_text: %s\n", invariant);
    std::abort();
}

void check(const diagnostic& d) {
    if (d.file != "fuzz.txt" || d.line == 0) broken("a report does not name its place");
    if (d.text.size() > 4 * max_text_bytes + 3) broken("a report's text is not cut");
}

class checking_sink final : public record_sink {
public:
    explicit checking_sink(name_mode mode) : mode_(mode) {}
    std::size_t series(const series_key& key) override {
        if (key.metric.empty()) broken("a series has an empty metric");
        if (mode_ == name_mode::sanitise && classify_name(key.metric) != name_class::ok)
            broken("sanitise mode let a bad metric through");
        return ++count_;
    }
    void point(std::size_t handle, std::int64_t t, double v) override {
        if (handle == 0 || handle > count_) broken("a point names no series");
        if (t <= 0 || t > 9'999'999'999'999) broken("a timestamp is out of OpenTSDB's range");
        if (std::isinf(v)) broken("an infinite value got through");
    }

private:
    name_mode mode_;
    std::size_t count_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::size_t block = 1 + data[0] % 32;
    const name_mode mode = (data[0] & 0x40U) != 0 ? name_mode::sanitise : name_mode::check;
    opentsdb_text_options o;
    o.max_line_bytes = (data[0] & 0x80U) != 0 ? 40 : 4096;
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    checking_sink sink(mode);
    parse_context ctx(check, mode);
    try {
        auto src = open_memory("fuzz.txt", text, block);
        read_opentsdb_text(*src, o, sink, ctx);
    } catch (const tsbatch::error&) {
    }
    return 0;
}
