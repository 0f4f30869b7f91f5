// Fuzz target for the OpenTSDB /api/query JSON reader and the JSON reader under it
// (src/ingest/opentsdb_json.hpp, json_reader.hpp). The first byte picks the block size and a
// small depth and string limit; the rest is the file, read from memory (gunzipped when it
// starts with the gzip magic). Any input must either be read, with every record and report
// keeping its contract, or be refused with a tsbatch::error naming file:line:column;
// anything else aborts.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "text/byte_source.hpp"
#include "ingest/opentsdb_json.hpp"

namespace {

using namespace tsbatch::ingest;
using namespace tsbatch::text;

[[noreturn]] void broken(const char* invariant) {
    std::fprintf(stderr, "fuzz_opentsdb_json: %s\n", invariant);
    std::abort();
}

void check(const diagnostic& d) {
    if (d.file != "fuzz.json" || d.line == 0) broken("a report does not name its place");
    if (d.text.size() > 4 * max_text_bytes + 3) broken("a report's text is not cut");
}

class checking_sink final : public record_sink {
public:
    std::size_t series(const series_key& key) override {
        if (key.metric.empty()) broken("a series has an empty metric");
        if (classify_name(key.metric) == name_class::structural) broken("a structural metric got through");
        return ++count_;
    }
    void point(std::size_t handle, std::int64_t t, double v) override {
        if (handle == 0 || handle > count_) broken("a point names no series");
        if (t <= 0) broken("a timestamp is not positive");
        if (std::isinf(v)) broken("an infinite value got through");
    }

private:
    std::size_t count_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::size_t block = 1 + data[0] % 32;
    opentsdb_json_options o;
    if ((data[0] & 0x80U) != 0) o.limits = {4, 64};
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    checking_sink sink;
    parse_context ctx(check);
    try {
        auto src = open_memory("fuzz.json", text, block);
        read_opentsdb_json(*src, o, sink, ctx);
    } catch (const tsbatch::input_error& e) {
        // Syntax errors name file:line:column; gzip errors name the file.
        if (std::string_view(e.what()).substr(0, 10) != "fuzz.json:") broken("an error does not name the file");
    }
    return 0;
}
