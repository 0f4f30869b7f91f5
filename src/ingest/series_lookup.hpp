#pragma once
// From a record's names as written to its series handle (record_sink::series), for the
// parsers whose records each name their series (CSV long form, OpenTSDB import text). Records
// of one series usually follow each other, so the raw names are compared with the previous
// record's before any hashing, and the canonical key is built once per distinct set of names.
#include <cstddef>
#include <limits>
#include <string>
#include <unordered_map>

namespace tsbatch::ingest {

/// A record whose series could not be made (reported by the parser).
constexpr std::size_t no_series = std::numeric_limits<std::size_t>::max();

class series_lookup {
public:
    /// The handle of the series whose raw names are `raw`. The first time, `make()` builds
    /// the key and returns the handle, or no_series after reporting why; that outcome is not
    /// remembered, so every record with those names is reported.
    template <class Make>
    std::size_t find_or_make(const std::string& raw, Make&& make) {
        if (last_series_ != no_series && raw == last_raw_) return last_series_;
        auto it = cache_.find(raw);
        if (it == cache_.end()) {
            const std::size_t s = make();
            if (s == no_series) return no_series;
            it = cache_.emplace(raw, s).first;
        }
        last_raw_ = raw;
        last_series_ = it->second;
        return last_series_;
    }

private:
    std::string last_raw_;
    std::size_t last_series_ = no_series;
    std::unordered_map<std::string, std::size_t> cache_;
};

}  // namespace tsbatch::ingest
