#pragma once
// Sends /api/put requests with libcurl: several connections at once (a multi handle), an
// empty `Expect:` header, `Content-Encoding: gzip`, `?details`, keep-alive, TLS through
// libcurl, and bounded retries with exponential backoff on connection errors, timeouts and
// 5xx answers. Credentials come only from the environment and never appear in messages.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "storage/put_requests.hpp"

namespace tsbatch::storage {

struct put_client_options {
    std::string url;              ///< server base URL, e.g. http://127.0.0.1:4242 (path /api/put is added)
    int connections = 4;          ///< requests in flight at once
    int max_retries = 5;          ///< retries of one request after the first try
    double backoff_initial_s = 0.2;  ///< first wait; doubles each retry, +-25 % jitter
    double backoff_max_s = 10.0;
    double timeout_s = 60.0;      ///< per request (connect + transfer)
    bool verify_tls = true;       ///< TSBATCH_OPENTSDB_INSECURE=1 in the environment turns it off
                                  ///< (read by the constructor; for self-signed test servers only)
};

/// Credentials from the environment: TSBATCH_OPENTSDB_USER + TSBATCH_OPENTSDB_PASSWORD (HTTP
/// basic) or TSBATCH_OPENTSDB_TOKEN (Authorization: Bearer). Never logged: every message the
/// client makes has them (and the basic-auth header text) replaced by `***`, even when a server
/// echoes them back. Setting both kinds, or a password without a user, is a usage_error.
struct credentials {
    std::string user, password, token;
    static credentials from_environment();
};

/// How one request ended.
struct put_outcome {
    enum class status {
        acknowledged,    ///< 2xx and no failed point
        points_failed,   ///< the server stored some points and refused others (400 with details)
        refused,         ///< 4xx without details: nothing stored (e.g. malformed, too large)
        gave_up,         ///< connection errors / 5xx / 408 / 429 / timeouts after every retry, or a
                         ///< curl error no retry can fix (bad URL, TLS verification)
    };
    status result = status::gave_up;
    long http_status = 0;          ///< last answer's status, 0 when none
    int attempts = 0;
    std::uint64_t failed_points = 0;
    std::vector<std::string> point_errors;  ///< from ?details: "metric ts: reason", at most 20
    std::string message;           ///< what went wrong, for the report (no credentials)
};

class put_client {
public:
    put_client(put_client_options opt, credentials cred);
    ~put_client();
    put_client(const put_client&) = delete;
    put_client& operator=(const put_client&) = delete;

    /// Sends requests[i] for every i in `indices` (keeping up to `connections` in flight) and
    /// calls `on_done(i, outcome)` from this thread as each ends (any order). Returns when all
    /// have ended or `stop()` returned true (asked before each try starts, so between
    /// completions; in-flight requests are then finished and reported first, while requests
    /// waiting out a retry backoff are dropped without a call: nothing of them was acknowledged).
    /// An exception from `on_done` leaves send() at once, abandoning the tries in flight.
    void send(std::span<const put_request> requests, std::span<const std::size_t> indices,
              const std::function<void(std::size_t, const put_outcome&)>& on_done,
              const std::function<bool()>& stop = {});

    /// POST /api/uid/assign for these names (real OpenTSDB with auto_create_metrics off);
    /// "already exists" counts as success. Throws storage_error on any other failure.
    void assign_uids(const std::vector<std::string>& metrics, const std::vector<std::string>& tag_keys,
                     const std::vector<std::string>& tag_values);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace tsbatch::storage
