#include "storage/put_client.hpp"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "core/error.hpp"
#include "core/redact.hpp"
#include "text/byte_source.hpp"
#include "text/json_reader.hpp"
#include "text/json_writer.hpp"

namespace tsbatch::storage {

namespace {

using steady = std::chrono::steady_clock;
using text::append_json_string;
using text::json_token;

constexpr std::size_t max_point_errors = 20;
constexpr std::size_t snippet_bytes = 200;
/// Enough for the ?details answer of a large request; the rest is dropped (the answer is
/// then unparseable and the request counts as refused, which the report shows).
constexpr std::size_t max_response_bytes = std::size_t{16} << 20;

std::once_flag curl_initialised;

void init_curl() {
    std::call_once(curl_initialised, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw storage_error("libcurl could not be initialised");
    });
}

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v == nullptr ? std::string() : std::string(v);
}

std::string base64(std::string_view in) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                           static_cast<unsigned char>(in[i + 2]);
        for (int shift : {18, 12, 6, 0}) out += alphabet[(v >> shift) & 63];
    }
    if (i < in.size()) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16;
        if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += i + 1 < in.size() ? alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}


/// The first bytes of a server's answer on one line, cut at a UTF-8 character boundary.
std::string snippet(std::string_view body) {
    std::size_t n = std::min(body.size(), snippet_bytes);
    if (n < body.size())
        while (n > 0 && (static_cast<unsigned char>(body[n]) & 0xC0) == 0x80) --n;
    std::string out(body.substr(0, n));
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
    while (!out.empty() && out.back() == ' ') out.pop_back();
    if (n < body.size()) out += "...";
    return out;
}

std::string http_text(long status, std::string_view body) {
    std::string s = "HTTP " + std::to_string(status);
    const std::string b = snippet(body);
    if (!b.empty()) s += ": " + b;
    return s;
}

/// Curl errors that another try cannot fix: a wrong URL, TLS set-up, refused login.
bool permanent(CURLcode code) {
    switch (code) {
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
        case CURLE_NOT_BUILT_IN:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_ENGINE_NOTFOUND:
        case CURLE_LOGIN_DENIED:
        case CURLE_BAD_FUNCTION_ARGUMENT:
        case CURLE_OUT_OF_MEMORY:
            return true;
        default:
            return false;
    }
}

// ---- JSON answers -------------------------------------------------------------------------

std::string number_text(text::json_reader& r, json_token t) {
    if (t == json_token::number || t == json_token::string) return std::string(r.text());
    r.skip(t);
    return {};
}

bool to_u64(std::string_view text, std::uint64_t& v) {
    const auto res = std::from_chars(text.data(), text.data() + text.size(), v);
    return res.ec == std::errc() && res.ptr == text.data() + text.size();
}

/// What an OpenTSDB ?details answer says: `{"success":N,"failed":M,"errors":[...]}`.
struct details_answer {
    bool has_failed = false;
    std::uint64_t failed = 0;
    std::vector<std::string> errors;  ///< "metric timestamp: reason", at most max_point_errors
};

std::string read_point_error(text::json_reader& r) {
    std::string metric, timestamp, reason;
    for (json_token t = r.next(); t != json_token::end_object; t = r.next()) {
        const std::string key(r.text());
        t = r.next();
        if (key == "error" && t == json_token::string) {
            reason = r.text();
        } else if (key == "datapoint" && t == json_token::begin_object) {
            for (json_token d = r.next(); d != json_token::end_object; d = r.next()) {
                const std::string field(r.text());
                d = r.next();
                if (field == "metric" && d == json_token::string)
                    metric = r.text();
                else if (field == "timestamp")
                    timestamp = number_text(r, d);
                else
                    r.skip(d);
            }
        } else {
            r.skip(t);
        }
    }
    if (metric.empty() && timestamp.empty()) return reason;
    return metric + " " + timestamp + ": " + reason;
}

void read_point_errors(text::json_reader& r, details_answer& a) {
    for (json_token t = r.next(); t != json_token::end_array; t = r.next()) {
        if (t != json_token::begin_object) {
            r.skip(t);
            continue;
        }
        std::string e = read_point_error(r);
        if (a.errors.size() < max_point_errors) a.errors.push_back(std::move(e));
    }
}

/// Parses a ?details answer; nullopt when the body is something else (text, an error object).
std::optional<details_answer> parse_details(std::string_view body) {
    try {
        auto source = text::open_memory("response", body);
        text::json_reader r(*source);
        if (r.next() != json_token::begin_object) return std::nullopt;
        details_answer a;
        for (json_token t = r.next(); t != json_token::end_object; t = r.next()) {
            const std::string key(r.text());
            t = r.next();
            if (key == "failed" && t == json_token::number) {
                a.has_failed = to_u64(r.text(), a.failed);
            } else if (key == "errors" && t == json_token::begin_array) {
                read_point_errors(r, a);
            } else {
                r.skip(t);
            }
        }
        if (!a.has_failed) return std::nullopt;
        return a;
    } catch (const tsbatch::error&) {
        return std::nullopt;
    }
}

/// What a 400 from /api/uid/assign says: names whose assignment failed for a reason other than
/// "already exists", and the error object's message when there is one.
struct uid_answer {
    std::size_t failures = 0;  ///< entries in *_errors
    std::vector<std::string> real_errors;
    std::string error_message;
};

std::optional<uid_answer> parse_uid_answer(std::string_view body) {
    try {
        auto source = text::open_memory("response", body);
        text::json_reader r(*source);
        if (r.next() != json_token::begin_object) return std::nullopt;
        uid_answer a;
        for (json_token t = r.next(); t != json_token::end_object; t = r.next()) {
            const std::string key(r.text());
            t = r.next();
            const bool errors = key.size() > 7 && key.compare(key.size() - 7, 7, "_errors") == 0;
            if (errors && t == json_token::begin_object) {
                for (json_token e = r.next(); e != json_token::end_object; e = r.next()) {
                    const std::string name(r.text());
                    e = r.next();
                    const std::string msg = e == json_token::string ? std::string(r.text()) : std::string();
                    if (e != json_token::string) r.skip(e);
                    ++a.failures;
                    if (msg.find("already exists") == std::string::npos)
                        a.real_errors.push_back(key.substr(0, key.size() - 7) + " '" + name + "': " + msg);
                }
            } else if (key == "error" && t == json_token::begin_object) {
                for (json_token e = r.next(); e != json_token::end_object; e = r.next()) {
                    const std::string field(r.text());
                    e = r.next();
                    if (field == "message" && e == json_token::string)
                        a.error_message = r.text();
                    else
                        r.skip(e);
                }
            } else {
                r.skip(t);
            }
        }
        return a;
    } catch (const tsbatch::error&) {
        return std::nullopt;
    }
}

// ---- curl handles ---------------------------------------------------------------------------

std::size_t collect_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto& body = *static_cast<std::string*>(user);
    const std::size_t n = size * count;
    if (body.size() < max_response_bytes) body.append(data, std::min(n, max_response_bytes - body.size()));
    return n;
}

curl_slist* append_header(curl_slist* list, const std::string& line) {
    curl_slist* next = curl_slist_append(list, line.c_str());
    if (next == nullptr) {
        curl_slist_free_all(list);
        throw storage_error("libcurl: out of memory building request headers");
    }
    return next;
}

/// One connection's worth of state: the easy handle is kept across requests so libcurl can
/// reuse its connection (keep-alive).
struct transfer {
    CURL* easy = nullptr;
    bool busy = false;
    std::size_t request = 0;
    int attempts = 0;
    std::string response;
    char error[CURL_ERROR_SIZE] = {};
};

/// A request waiting out its backoff before the next try.
struct pending_retry {
    steady::time_point ready;
    std::size_t request;
    int attempts;
};

/// How one try ended.
struct try_result {
    bool retry = false;
    put_outcome outcome;
    std::string why;  ///< for retries: what went wrong this time
};

}  // namespace

credentials credentials::from_environment() {
    credentials c;
    c.user = env("TSBATCH_OPENTSDB_USER");
    c.password = env("TSBATCH_OPENTSDB_PASSWORD");
    c.token = env("TSBATCH_OPENTSDB_TOKEN");
    if (!c.token.empty() && !c.user.empty())
        throw usage_error(
            "set either TSBATCH_OPENTSDB_USER/TSBATCH_OPENTSDB_PASSWORD or TSBATCH_OPENTSDB_TOKEN, not both");
    if (c.user.empty() && !c.password.empty())
        throw usage_error("TSBATCH_OPENTSDB_PASSWORD is set but TSBATCH_OPENTSDB_USER is not");
    return c;
}

struct put_client::impl {
    put_client_options opt;
    credentials cred;
    std::string base_url;              ///< without trailing slash
    std::string shown_url;             ///< for messages: no user info
    std::vector<std::string> secrets;  ///< texts scrubbed from every message
    curl_slist* put_headers = nullptr;
    curl_slist* uid_headers = nullptr;
    CURLM* multi = nullptr;
    std::vector<transfer> slots;
    std::mt19937 rng;

    impl(put_client_options o, credentials c) : opt(std::move(o)), cred(std::move(c)), rng(std::random_device{}()) {
        if (opt.url.empty()) throw usage_error("no OpenTSDB URL given");
        // The message never repeats the URL: it holds the secret.
        if (url_has_user_info(opt.url))
            throw usage_error(
                "the OpenTSDB URL holds a user name or password (user:password@); give credentials through "
                "TSBATCH_OPENTSDB_USER and TSBATCH_OPENTSDB_PASSWORD, or TSBATCH_OPENTSDB_TOKEN (environment "
                "variables), never in the URL");
        if (opt.connections < 1) throw usage_error("the number of connections must be at least 1");
        if (opt.max_retries < 0) throw usage_error("the number of retries must not be negative");
        base_url = opt.url;
        while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
        shown_url = redact_url(base_url);
        if (env("TSBATCH_OPENTSDB_INSECURE") == "1") opt.verify_tls = false;
        for (const auto* s : {&cred.password, &cred.token})
            if (!s->empty()) secrets.push_back(*s);
        if (!cred.user.empty()) secrets.push_back(base64(cred.user + ":" + cred.password));
        init_curl();
        try {
            build_headers();
            multi = curl_multi_init();
            if (multi == nullptr) throw storage_error("libcurl: cannot create a multi handle");
            curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(opt.connections));
            slots.resize(static_cast<std::size_t>(opt.connections));
            for (auto& s : slots) {
                s.easy = new_easy(put_headers, base_url + "/api/put?details");
                curl_easy_setopt(s.easy, CURLOPT_ERRORBUFFER, s.error);
                curl_easy_setopt(s.easy, CURLOPT_WRITEDATA, &s.response);
                curl_easy_setopt(s.easy, CURLOPT_PRIVATE, &s);
            }
        } catch (...) {
            release();
            throw;
        }
    }

    ~impl() { release(); }

    void release() {
        for (auto& s : slots) {
            if (s.easy == nullptr) continue;
            if (s.busy && multi != nullptr) curl_multi_remove_handle(multi, s.easy);
            curl_easy_cleanup(s.easy);
            s.easy = nullptr;
        }
        if (multi != nullptr) curl_multi_cleanup(multi);
        multi = nullptr;
        curl_slist_free_all(put_headers);
        curl_slist_free_all(uid_headers);
        put_headers = uid_headers = nullptr;
    }

    void build_headers() {
        // An empty `Expect:` stops libcurl from sending `Expect: 100-continue`, which a stock
        // OpenTSDB treats as a chunked request and refuses (reference/opentsdb.md 1.1).
        for (auto** list : {&put_headers, &uid_headers}) {
            *list = append_header(*list, "Content-Type: application/json");
            *list = append_header(*list, "Expect:");
            if (!cred.token.empty()) *list = append_header(*list, "Authorization: Bearer " + cred.token);
        }
        put_headers = append_header(put_headers, "Content-Encoding: gzip");
    }

    CURL* new_easy(curl_slist* headers, const std::string& url) const {
        CURL* e = curl_easy_init();
        if (e == nullptr) throw storage_error("libcurl: cannot create an easy handle");
        curl_easy_setopt(e, CURLOPT_URL, url.c_str());
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect_body);
        if (opt.timeout_s > 0) curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(opt.timeout_s * 1000.0));
        if (!cred.user.empty()) {
            curl_easy_setopt(e, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
            curl_easy_setopt(e, CURLOPT_USERNAME, cred.user.c_str());
            curl_easy_setopt(e, CURLOPT_PASSWORD, cred.password.c_str());
        }
        if (!opt.verify_tls) {
            curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
            curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
        }
        return e;
    }

    /// Removes every credential text from a message (a server may echo what it was sent).
    std::string scrub(std::string msg) const {
        for (const auto& s : secrets)
            for (auto at = msg.find(s); at != std::string::npos; at = msg.find(s, at + 3))
                msg.replace(at, s.size(), "***");
        return msg;
    }

    void scrub(put_outcome& o) const {
        o.message = scrub(std::move(o.message));
        for (auto& e : o.point_errors) e = scrub(std::move(e));
    }

    steady::duration backoff(int attempts) {
        double wait = opt.backoff_initial_s;
        for (int i = 1; i < attempts && wait < opt.backoff_max_s; ++i) wait *= 2;
        wait = std::min(wait, opt.backoff_max_s);
        // Jitter keeps ranks that failed together from retrying in lockstep.
        wait *= std::uniform_real_distribution<double>(0.75, 1.25)(rng);
        return std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(std::max(wait, 0.0)));
    }

    /// Classifies an answer to a /api/put try.
    static try_result judge(CURLcode code, long status, const std::string& body, const char* curl_error) {
        try_result r;
        r.outcome.http_status = status;
        if (code != CURLE_OK) {
            r.why = curl_error[0] != '\0' ? std::string(curl_error) : std::string(curl_easy_strerror(code));
            r.retry = !permanent(code);
            r.outcome.result = put_outcome::status::gave_up;
            r.outcome.message = r.why;
            return r;
        }
        if (status >= 200 && status < 300) return judge_success(status, body);
        if (status >= 500 || status == 408 || status == 429) {
            r.retry = true;
            r.why = http_text(status, body);
            r.outcome.message = r.why;
            return r;
        }
        if (status == 400) {
            if (auto d = parse_details(body); d && d->failed > 0) return points_failed(status, *d);
        }
        r.outcome.result = put_outcome::status::refused;
        r.outcome.message = http_text(status, body);
        return r;
    }

    static try_result judge_success(long status, const std::string& body) {
        // VictoriaMetrics answers 204 with no body even with ?details; OpenTSDB 200 with counts.
        if (!body.empty())
            if (auto d = parse_details(body); d && d->failed > 0) return points_failed(status, *d);
        try_result r;
        r.outcome.http_status = status;
        r.outcome.result = put_outcome::status::acknowledged;
        return r;
    }

    static try_result points_failed(long status, details_answer& d) {
        try_result r;
        r.outcome.http_status = status;
        r.outcome.result = put_outcome::status::points_failed;
        r.outcome.failed_points = d.failed;
        r.outcome.point_errors = std::move(d.errors);
        r.outcome.message = "HTTP " + std::to_string(status) + ": the server refused " + std::to_string(d.failed) +
                            (d.failed == 1 ? " point" : " points");
        return r;
    }

    // ---- send ----------------------------------------------------------------------------

    struct send_state {
        std::span<const put_request> requests;
        std::span<const std::size_t> indices;
        std::size_t next = 0;
        std::vector<pending_retry> waiting;
        std::size_t active = 0;
        bool stopping = false;
    };

    transfer* free_slot() {
        for (auto& s : slots)
            if (!s.busy) return &s;
        return nullptr;
    }
    bool any_free() const {
        return std::any_of(slots.begin(), slots.end(), [](const transfer& s) { return !s.busy; });
    }

    void start(transfer& s, const put_request& req, std::size_t request, int attempts_before) {
        s.request = request;
        s.attempts = attempts_before + 1;
        s.response.clear();
        s.error[0] = '\0';
        curl_easy_setopt(s.easy, CURLOPT_POSTFIELDS, req.body.data());
        curl_easy_setopt(s.easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
        if (CURLMcode mc = curl_multi_add_handle(multi, s.easy); mc != CURLM_OK)
            throw storage_error(std::string("libcurl: cannot start a request: ") + curl_multi_strerror(mc));
        s.busy = true;
    }

    /// Starts tries until every connection is busy: due retries first, then new requests.
    /// stop() is asked before each start, so it is checked between completions.
    void start_ready(send_state& st, const std::function<bool()>& stop) {
        const auto now = steady::now();
        for (transfer* s = free_slot(); s != nullptr && !st.stopping; s = free_slot()) {
            auto due = std::min_element(st.waiting.begin(), st.waiting.end(),
                                        [](const auto& a, const auto& b) { return a.ready < b.ready; });
            const bool retry = due != st.waiting.end() && due->ready <= now;
            if (!retry && st.next == st.indices.size()) return;
            if (stop && stop()) {
                st.stopping = true;
                return;
            }
            if (retry) {
                const pending_retry p = *due;
                st.waiting.erase(due);
                start(*s, st.requests[p.request], p.request, p.attempts);
            } else {
                const std::size_t i = st.indices[st.next++];
                if (i >= st.requests.size()) throw internal_error("put_client::send: request index out of range");
                start(*s, st.requests[i], i, 0);
            }
            ++st.active;
        }
    }

    /// Handles the tries libcurl reports as finished; returns how many finished.
    std::size_t finish_done(send_state& st, const std::function<void(std::size_t, const put_outcome&)>& on_done) {
        std::size_t finished = 0;
        int left = 0;
        while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
            if (msg->msg != CURLMSG_DONE) continue;
            const CURLcode code = msg->data.result;
            transfer* s = nullptr;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &s);
            long status = 0;
            curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
            curl_multi_remove_handle(multi, s->easy);
            s->busy = false;
            --st.active;
            ++finished;
            // Scrubbed before anything is cut from it: a cut could leave part of a secret.
            if (!secrets.empty()) s->response = scrub(std::move(s->response));
            try_result r = judge(code, status, s->response, s->error);
            if (r.retry && s->attempts <= opt.max_retries) {
                st.waiting.push_back({steady::now() + backoff(s->attempts), s->request, s->attempts});
                continue;
            }
            if (r.retry) {
                r.outcome.result = put_outcome::status::gave_up;
                r.outcome.message = "gave up after " + std::to_string(s->attempts) +
                                    (s->attempts == 1 ? " attempt: " : " attempts: ") + r.why;
            }
            r.outcome.attempts = s->attempts;
            scrub(r.outcome);
            on_done(s->request, r.outcome);
        }
        return finished;
    }

    int poll_timeout_ms(const send_state& st) const {
        auto wait = std::chrono::milliseconds(1000);
        if (!st.stopping && any_free())
            for (const auto& p : st.waiting)
                wait = std::min(wait, std::chrono::ceil<std::chrono::milliseconds>(p.ready - steady::now()));
        return static_cast<int>(std::max<std::chrono::milliseconds::rep>(wait.count(), 0));
    }

    void send(std::span<const put_request> requests, std::span<const std::size_t> indices,
              const std::function<void(std::size_t, const put_outcome&)>& on_done, const std::function<bool()>& stop) {
        send_state st;
        st.requests = requests;
        st.indices = indices;
        try {
            for (;;) {
                start_ready(st, stop);
                // Requests waiting out a backoff when stop() turns true are dropped unreported:
                // nothing of them was acknowledged, so a rerun sends them again.
                if (st.active == 0 && (st.stopping || (st.next == st.indices.size() && st.waiting.empty()))) break;
                int running = 0;
                if (CURLMcode mc = curl_multi_perform(multi, &running); mc != CURLM_OK)
                    throw storage_error(std::string("libcurl: ") + curl_multi_strerror(mc));
                if (finish_done(st, on_done) > 0) continue;
                // Waits for socket activity or the next due retry, never longer: a request in
                // backoff does not hold up the others.
                if (CURLMcode mc = curl_multi_poll(multi, nullptr, 0, poll_timeout_ms(st), nullptr); mc != CURLM_OK)
                    throw storage_error(std::string("libcurl: ") + curl_multi_strerror(mc));
            }
        } catch (...) {
            abandon_transfers();
            throw;
        }
    }

    /// After an exception (from on_done, say): detaches the unfinished tries so the handles
    /// can be used again.
    void abandon_transfers() {
        for (auto& s : slots)
            if (s.busy) {
                curl_multi_remove_handle(multi, s.easy);
                s.busy = false;
            }
    }

    // ---- uid assign ----------------------------------------------------------------------

    void assign(const std::string& body) {
        const std::string url = base_url + "/api/uid/assign";
        CURL* e = new_easy(uid_headers, url);
        std::string response;
        char error[CURL_ERROR_SIZE] = {};
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &response);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
        struct cleanup {
            CURL* e;
            ~cleanup() { curl_easy_cleanup(e); }
        } guard{e};
        const std::string where = "OpenTSDB UID assignment at " + shown_url + "/api/uid/assign";
        for (int attempt = 1;; ++attempt) {
            response.clear();
            error[0] = '\0';
            const CURLcode code = curl_easy_perform(e);
            long status = 0;
            curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
            if (!secrets.empty()) response = scrub(std::move(response));
            std::string why;
            if (code != CURLE_OK) {
                why = error[0] != '\0' ? std::string(error) : std::string(curl_easy_strerror(code));
                if (permanent(code)) throw storage_error(scrub(where + " failed: " + why));
            } else if (status >= 500 || status == 408 || status == 429) {
                why = http_text(status, response);
            } else {
                judge_uid_answer(status, response, where);
                return;
            }
            if (attempt > opt.max_retries)
                throw storage_error(scrub(where + " failed after " + std::to_string(attempt) + " attempts: " + why));
            std::this_thread::sleep_for(backoff(attempt));  // nothing else is in flight here
        }
    }

    void judge_uid_answer(long status, const std::string& response, const std::string& where) const {
        if (status == 200) return;
        if (status == 400) {
            if (auto a = parse_uid_answer(response)) {
                if (a->failures > 0 && a->real_errors.empty()) return;  // every name already had a UID
                std::string what;
                for (std::size_t i = 0; i < a->real_errors.size() && i < max_point_errors; ++i)
                    what += (i == 0 ? "" : "; ") + a->real_errors[i];
                if (a->real_errors.size() > max_point_errors)
                    what += "; and " + std::to_string(a->real_errors.size() - max_point_errors) + " more";
                if (what.empty()) what = a->error_message.empty() ? snippet(response) : a->error_message;
                throw storage_error(scrub(where + " failed (HTTP 400): " + what));
            }
        }
        throw storage_error(scrub(where + " failed: " + http_text(status, response)));
    }
};

put_client::put_client(put_client_options opt, credentials cred)
    : impl_(std::make_unique<impl>(std::move(opt), std::move(cred))) {}

put_client::~put_client() = default;

void put_client::send(std::span<const put_request> requests, std::span<const std::size_t> indices,
                      const std::function<void(std::size_t, const put_outcome&)>& on_done,
                      const std::function<bool()>& stop) {
    impl_->send(requests, indices, on_done, stop);
}

void put_client::assign_uids(const std::vector<std::string>& metrics, const std::vector<std::string>& tag_keys,
                             const std::vector<std::string>& tag_values) {
    std::string body = "{";
    bool first_list = true;
    const std::pair<const char*, const std::vector<std::string>*> lists[] = {
        {"metric", &metrics}, {"tagk", &tag_keys}, {"tagv", &tag_values}};
    for (const auto& [name, list] : lists) {
        if (list->empty()) continue;  // OpenTSDB skips absent types
        if (!first_list) body += ',';
        first_list = false;
        body += '"';
        body += name;
        body += "\":[";
        for (std::size_t i = 0; i < list->size(); ++i) {
            if (i != 0) body += ',';
            append_json_string(body, (*list)[i]);
        }
        body += ']';
    }
    body += '}';
    if (first_list) return;  // nothing to assign
    impl_->assign(body);
}

}  // namespace tsbatch::storage
