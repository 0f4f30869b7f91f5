// /api/put request planning, the libcurl client against a scripted stub server, and the
// push journal.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "storage/push_journal.hpp"
#include "storage/put_client.hpp"
#include "storage/put_requests.hpp"
#include "stub_http_server.hpp"
#include "text/json_writer.hpp"

namespace tsbatch::storage {
namespace {

namespace fs = std::filesystem;
using test::http_reply;
using test::http_request;
using test::stub_http_server;

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

std::string gunzip(std::string_view data) {
    z_stream z{};
    if (inflateInit2(&z, 15 + 16) != Z_OK) throw std::runtime_error("inflateInit2");
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    std::string out;
    char buf[4096];
    int rc = Z_OK;
    while (rc == Z_OK) {
        z.next_out = reinterpret_cast<Bytef*>(buf);
        z.avail_out = sizeof buf;
        rc = inflate(&z, Z_NO_FLUSH);
        out.append(buf, sizeof buf - z.avail_out);
    }
    const bool whole = rc == Z_STREAM_END && z.avail_in == 0;
    inflateEnd(&z);
    if (!whole) throw std::runtime_error("not one complete gzip stream");
    return out;
}

/// Points of one series, owned (put_series only views them).
struct owned_series {
    std::string metric, tags;
    std::vector<std::int64_t> time;
    std::vector<double> value;
    put_series view() const { return {metric, tags, {time, value}}; }
};

std::vector<put_series> views(const std::vector<owned_series>& s) {
    std::vector<put_series> out;
    for (const auto& x : s) out.push_back(x.view());
    return out;
}

/// Splits a JSON array of flat point objects "[{..},{..}]" into the objects' texts (the
/// objects hold one nested object, "tags", so "}}," ends each but the last).
std::vector<std::string> objects_of(std::string json) {
    EXPECT_EQ(json.front(), '[');
    EXPECT_EQ(json.back(), ']');
    json = json.substr(1, json.size() - 2);
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at < json.size()) {
        const auto end = json.find("}},", at);
        const auto stop = end == std::string::npos ? json.size() : end + 2;
        out.push_back(json.substr(at, stop - at));
        at = stop + 1;
    }
    return out;
}

// ---- JSON bodies ------------------------------------------------------------------------

TEST(PutJson, ExactTextWithEscapingAndNaNSkipped) {
    const owned_series s{
        "tsb.m\"q\\x", "host=a\tb,site=\xC3\xBC\x01", {1700000000000, 1700000000250, 1700000000500}, {1.5, nan, 42}};
    std::string out;
    append_put_json(out, s.view(), 0, 3, time_encoding{});
    const std::string tags = R"("tags":{"host":"a\tb","site":")"
                             "\xC3\xBC"
                             R"(\u0001"}})";
    EXPECT_EQ(out, R"([{"metric":"tsb.m\"q\\x","timestamp":1700000000000,"value":1.5,)" + tags +
                       R"(,{"metric":"tsb.m\"q\\x","timestamp":1700000000500,"value":42,)" + tags + "]");
}

TEST(PutJson, RangeAndWholeSeconds) {
    const owned_series s{"m", "k=v", {1700000000000, 1700000001999, 1700000002000}, {1, -0.125, 3}};
    std::string out = "x";  // appends, never replaces
    append_put_json(out, s.view(), 1, 2, time_encoding{true});
    EXPECT_EQ(out, R"(x[{"metric":"m","timestamp":1700000001,"value":-0.125,"tags":{"k":"v"}}])");
    out.clear();
    append_put_json(out, s.view(), 2, 2, time_encoding{});
    EXPECT_EQ(out, "[]");
}

TEST(PutJson, EscapesEveryControlCharacter) {
    std::string out;
    text::append_json_string(out, std::string("a\"\\/\b\f\n\r\t\x1f\x7f\0z", 13));
    EXPECT_EQ(out, std::string("\"a\\\"\\\\/\\b\\f\\n\\r\\t\\u001f\x7f\\u0000z\""));
}

// ---- planning ---------------------------------------------------------------------------

TEST(PutPlan, GunzippedBodyIsTheJson) {
    const owned_series s{"m", "k=v", {1700000000000, 1700000000001, 1700000000002}, {1, nan, 2}};
    const auto plan = plan_put_requests({s.view()}, request_limits{}, time_encoding{});
    ASSERT_EQ(plan.size(), 1u);
    EXPECT_EQ(plan[0].points, 2u);
    std::string json;
    append_put_json(json, s.view(), 0, 3, time_encoding{});
    EXPECT_EQ(gunzip(plan[0].body), json);
}

std::vector<owned_series> many_series(std::size_t n_series, std::size_t n_points, bool noisy) {
    std::vector<owned_series> out;
    std::uint64_t x = 12345;
    for (std::size_t s = 0; s < n_series; ++s) {
        owned_series o{"tsb.series" + std::to_string(s), "host=h" + std::to_string(s) + ",site=s", {}, {}};
        for (std::size_t i = 0; i < n_points; ++i) {
            o.time.push_back(1700000000000 + static_cast<std::int64_t>(i) * 1000);
            x = x * 6364136223846793005ull + 1442695040888963407ull;  // values that compress badly
            o.value.push_back(i % 7 == 3 ? nan : noisy ? static_cast<double>(x >> 11) / 1024.0 : double(i));
        }
        out.push_back(std::move(o));
    }
    return out;
}

/// Every non-NaN point of `series` as its JSON object, in order.
std::vector<std::string> all_objects(const std::vector<owned_series>& series) {
    std::vector<std::string> out;
    for (const auto& s : series) {
        std::string json;
        append_put_json(json, s.view(), 0, s.time.size(), time_encoding{});
        if (json != "[]")
            for (auto& o : objects_of(json)) out.push_back(std::move(o));
    }
    return out;
}

std::vector<std::string> planned_objects(const std::vector<put_request>& plan) {
    std::vector<std::string> out;
    for (const auto& r : plan) {
        const auto objs = objects_of(gunzip(r.body));
        EXPECT_EQ(objs.size(), r.points);
        out.insert(out.end(), objs.begin(), objs.end());
    }
    return out;
}

TEST(PutPlan, FillsMaxPointsAcrossSeriesInOrder) {
    const auto series = many_series(3, 7, false);  // 6 non-NaN points each
    request_limits lim;
    lim.max_points = 5;
    const auto plan = plan_put_requests(views(series), lim, time_encoding{});
    std::vector<std::uint64_t> counts;
    for (const auto& r : plan) counts.push_back(r.points);
    EXPECT_EQ(counts, (std::vector<std::uint64_t>{5, 5, 5, 3}));
    EXPECT_EQ(planned_objects(plan), all_objects(series));
}

TEST(PutPlan, IsDeterministic) {
    const auto series = many_series(5, 40, true);
    request_limits lim;
    lim.max_points = 17;
    lim.max_body_bytes = 600;
    const auto a = plan_put_requests(views(series), lim, time_encoding{});
    const auto b = plan_put_requests(views(series), lim, time_encoding{});
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].body, b[i].body) << i;
        EXPECT_EQ(a[i].points, b[i].points) << i;
    }
}

TEST(PutPlan, HalvesRequestsOverMaxBodyBytes) {
    const auto series = many_series(2, 120, true);
    request_limits lim;
    lim.max_points = 100;
    lim.max_body_bytes = 300;
    const auto plan = plan_put_requests(views(series), lim, time_encoding{});
    std::uint64_t total = 0;
    for (const auto& r : plan) {
        EXPECT_LE(r.body.size(), 300u);
        EXPECT_GT(r.points, 0u);
        EXPECT_LE(r.points, 100u);
        total += r.points;
    }
    const auto expected = all_objects(series);
    EXPECT_EQ(total, expected.size());
    EXPECT_GT(plan.size(), 2 * expected.size() / 100);  // some request was halved
    EXPECT_EQ(planned_objects(plan), expected);
}

TEST(PutPlan, SinglePointTooBigIsAUsageError) {
    const owned_series s{"tsb.big", "k=v", {1700000000000}, {1.25}};
    request_limits lim;
    lim.max_body_bytes = 30;  // one point gzips to ~90 bytes
    try {
        plan_put_requests({s.view()}, lim, time_encoding{});
        FAIL() << "no usage_error";
    } catch (const usage_error& e) {
        EXPECT_NE(std::string(e.what()).find("tsb.big{k=v}"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("30 bytes"), std::string::npos) << e.what();
    }
}

TEST(PutPlan, NoEmptyRequests) {
    const owned_series all_nan{"m", "k=v", {1700000000000, 1700000000001}, {nan, nan}};
    const owned_series empty{"m", "k=w", {}, {}};
    EXPECT_TRUE(plan_put_requests({all_nan.view(), empty.view()}, request_limits{}, time_encoding{}).empty());
    request_limits zero;
    zero.max_points = 0;
    EXPECT_THROW(plan_put_requests({all_nan.view()}, zero, time_encoding{}), usage_error);
}

TEST(PutPlan, GzipRoundTrip) {
    EXPECT_EQ(gunzip(gzip_compress("", 6)), "");
    std::string big;
    for (int i = 0; i < 100000; ++i) big += std::to_string(i * 7919 % 100003) + ",";
    EXPECT_EQ(gunzip(gzip_compress(big, 1)), big);
    EXPECT_EQ(gunzip(gzip_compress(big, 9)), big);
}

// ---- put_client ---------------------------------------------------------------------------

put_client_options fast_options(const std::string& url) {
    put_client_options o;
    o.url = url;
    o.connections = 2;
    o.max_retries = 3;
    o.backoff_initial_s = 0.01;
    o.backoff_max_s = 0.05;
    o.timeout_s = 5;
    return o;
}

std::vector<put_request> small_requests(std::size_t n) {
    std::vector<put_request> out;
    for (std::size_t i = 0; i < n; ++i) {
        const std::string json =
            R"([{"metric":"r)" + std::to_string(i) + R"(","timestamp":1700000000000,"value":1,"tags":{"k":"v"}}])";
        out.push_back({gzip_compress(json, 6), 1});
    }
    return out;
}

/// Sends every request and returns the outcomes by index.
std::map<std::size_t, put_outcome> send_all(put_client& client, const std::vector<put_request>& reqs) {
    std::vector<std::size_t> idx(reqs.size());
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::map<std::size_t, put_outcome> out;
    client.send(reqs, idx, [&](std::size_t i, const put_outcome& o) {
        EXPECT_TRUE(out.emplace(i, o).second) << "request " << i << " reported twice";
    });
    return out;
}

put_outcome send_one(const std::string& url, put_client_options opt = {}, credentials cred = {}) {
    if (opt.url.empty()) opt = fast_options(url);
    put_client client(opt, cred);
    const auto out = send_all(client, small_requests(1));
    EXPECT_EQ(out.size(), 1u);
    return out.empty() ? put_outcome{} : out.begin()->second;
}

TEST(PutClient, AcknowledgedOn204WithTheRightRequest) {
    stub_http_server server;
    const auto o = send_one(server.url());
    EXPECT_EQ(o.result, put_outcome::status::acknowledged);
    EXPECT_EQ(o.http_status, 204);
    EXPECT_EQ(o.attempts, 1);
    const auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 1u);
    const auto& r = reqs[0];
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/api/put?details");
    EXPECT_EQ(r.header("Content-Encoding"), "gzip");
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    EXPECT_FALSE(r.header("Expect").has_value()) << "Expect: " << *r.header("Expect");
    EXPECT_FALSE(r.header("Authorization").has_value());
    EXPECT_EQ(gunzip(r.body), R"([{"metric":"r0","timestamp":1700000000000,"value":1,"tags":{"k":"v"}}])");
}

TEST(PutClient, LargeBodyHasNoExpectContinue) {
    // libcurl adds `Expect: 100-continue` above 1 MiB unless told not to.
    stub_http_server server;
    put_client client(fast_options(server.url() + "/"), {});  // a trailing slash is fine too
    std::string raw(2u << 20, 'x');
    std::uint64_t x = 1;
    for (char& c : raw) {  // random bytes: gzip cannot shrink them
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        c = static_cast<char>(x >> 56);
    }
    const std::vector<put_request> reqs{{gzip_compress(raw, 1), 1}};
    ASSERT_GT(reqs[0].body.size(), 1u << 20);
    const auto out = send_all(client, reqs);
    EXPECT_EQ(out.at(0).result, put_outcome::status::acknowledged);
    const auto got = server.requests();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].target, "/api/put?details");
    EXPECT_FALSE(got[0].header("Expect").has_value());
    EXPECT_EQ(gunzip(got[0].body), raw);
}

TEST(PutClient, CountsAnswerIsAcknowledged) {
    stub_http_server server;
    server.script({http_reply::with(200, R"({"success":1,"failed":0})")});
    const auto o = send_one(server.url());
    EXPECT_EQ(o.result, put_outcome::status::acknowledged);
    EXPECT_EQ(o.http_status, 200);
}

TEST(PutClient, ServerErrorIsRetried) {
    stub_http_server server;
    server.script({http_reply::with(500, "busy"), http_reply::with(204)});
    const auto o = send_one(server.url());
    EXPECT_EQ(o.result, put_outcome::status::acknowledged);
    EXPECT_EQ(o.attempts, 2);
    const auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[0].body, reqs[1].body);
}

TEST(PutClient, ClosedConnectionIsRetried) {
    stub_http_server server;
    server.script({http_reply::close_connection(), http_reply::with(204)});
    const auto o = send_one(server.url());
    EXPECT_EQ(o.result, put_outcome::status::acknowledged);
    EXPECT_EQ(o.attempts, 2);
    EXPECT_EQ(server.requests().size(), 2u);
}

TEST(PutClient, TimeoutIsRetried) {
    stub_http_server server;
    server.script({http_reply::hang(), http_reply::with(204)});
    auto opt = fast_options(server.url());
    opt.timeout_s = 0.2;
    const auto o = send_one(server.url(), opt);
    EXPECT_EQ(o.result, put_outcome::status::acknowledged);
    EXPECT_EQ(o.attempts, 2);
}

TEST(PutClient, DetailsAnswerGivesPointsFailed) {
    stub_http_server server;
    std::string errors;
    for (int i = 0; i < 25; ++i)
        errors += std::string(i ? "," : "") + R"({"datapoint":{"metric":"sys.cpu","timestamp":)" +
                  std::to_string(1700000000000 + i) +
                  R"(,"value":"NaN","tags":{"host":"a"}},"error":"Unable to parse value to a number"})";
    server.script({http_reply::with(400, R"({"success":3,"failed":25,"errors":[)" + errors + "]}")});
    const auto o = send_one(server.url());
    EXPECT_EQ(o.result, put_outcome::status::points_failed);
    EXPECT_EQ(o.http_status, 400);
    EXPECT_EQ(o.attempts, 1);
    EXPECT_EQ(o.failed_points, 25u);
    ASSERT_EQ(o.point_errors.size(), 20u);
    EXPECT_EQ(o.point_errors[0], "sys.cpu 1700000000000: Unable to parse value to a number");
    EXPECT_EQ(o.point_errors[19], "sys.cpu 1700000000019: Unable to parse value to a number");
}

TEST(PutClient, PlainBadRequestIsRefused) {
    stub_http_server server;
    server.script({http_reply::with(400, "Chunked request not supported.\n" + std::string(300, 'z'), "text/plain")});
    const auto o = send_one(server.url());
    EXPECT_EQ(o.result, put_outcome::status::refused);
    EXPECT_EQ(o.http_status, 400);
    EXPECT_EQ(o.attempts, 1);
    EXPECT_NE(o.message.find("400"), std::string::npos) << o.message;
    EXPECT_NE(o.message.find("Chunked request not supported."), std::string::npos) << o.message;
    EXPECT_LT(o.message.size(), 240u) << "the body is cut to 200 bytes";
    EXPECT_EQ(server.requests().size(), 1u);
}

TEST(PutClient, ConnectionRefusedGivesUpAfterRetries) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    ::close(fd);  // nothing listens on this port now
    auto opt = fast_options("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)));
    opt.max_retries = 2;
    const auto o = send_one(opt.url, opt);
    EXPECT_EQ(o.result, put_outcome::status::gave_up);
    EXPECT_EQ(o.attempts, 3);
    EXPECT_EQ(o.http_status, 0);
    EXPECT_NE(o.message.find("3 attempts"), std::string::npos) << o.message;
    // Each attempt failed on the refused connection, not by waiting out the 5 s timeout (a
    // reason rather than a wall-clock bound, which a loaded machine would break).
    EXPECT_EQ(o.message.find("imeout"), std::string::npos) << o.message;
    EXPECT_EQ(o.message.find("timed out"), std::string::npos) << o.message;
}

TEST(PutClient, BackoffDoesNotHoldUpOtherRequests) {
    // One connection; request 0 fails once and waits ~0.3 s: requests 1 and 2 go meanwhile.
    stub_http_server server([](const http_request& r, std::size_t n) {
        const bool first = gunzip(r.body).find("\"r0\"") != std::string::npos;
        return first && n == 0 ? http_reply::with(503) : http_reply::with(204);
    });
    auto opt = fast_options(server.url());
    opt.connections = 1;
    opt.backoff_initial_s = 0.3;
    opt.backoff_max_s = 1;
    const auto t0 = std::chrono::steady_clock::now();
    put_client client(opt, {});
    const auto reqs = small_requests(3);
    const std::vector<std::size_t> idx{0, 1, 2};
    std::vector<std::size_t> order;
    std::vector<int> attempts;
    client.send(reqs, idx, [&](std::size_t i, const put_outcome& o) {
        order.push_back(i);
        attempts.push_back(o.attempts);
        EXPECT_EQ(o.result, put_outcome::status::acknowledged);
    });
    EXPECT_EQ(order, (std::vector<std::size_t>{1, 2, 0}));
    EXPECT_EQ(attempts, (std::vector<int>{1, 1, 2}));
    // Only a lower bound: the backoff (0.3 s -25 % at least) was waited for. How much longer
    // the run takes depends on the machine's load, and the order above already shows that
    // requests 1 and 2 did not wait behind it.
    const auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_GE(took, std::chrono::milliseconds(200)) << "the backoff (0.3 s +-25 %) was waited for";
}

TEST(PutClient, ManyConnectionsSendEveryRequestOnce) {
    stub_http_server server;
    auto opt = fast_options(server.url());
    opt.connections = 4;
    put_client client(opt, {});
    const auto reqs = small_requests(40);
    const auto out = send_all(client, reqs);
    EXPECT_EQ(out.size(), 40u);
    for (const auto& [i, o] : out) EXPECT_EQ(o.result, put_outcome::status::acknowledged) << i;
    std::multiset<std::string> bodies;
    for (const auto& r : server.requests()) bodies.insert(r.body);
    EXPECT_EQ(bodies.size(), 40u);
    for (const auto& r : reqs) EXPECT_EQ(bodies.count(r.body), 1u);
    EXPECT_LE(server.connections_accepted(), 4u) << "connections are kept alive and reused";
    // A second batch on the same client reuses them too.
    send_all(client, reqs);
    EXPECT_LE(server.connections_accepted(), 4u);
}

TEST(PutClient, SendsOnlyTheGivenIndices) {
    stub_http_server server;
    put_client client(fast_options(server.url()), {});
    const auto reqs = small_requests(5);
    const std::vector<std::size_t> idx{3, 1};
    std::set<std::size_t> seen;
    client.send(reqs, idx, [&](std::size_t i, const put_outcome&) { seen.insert(i); });
    EXPECT_EQ(seen, (std::set<std::size_t>{1, 3}));
    EXPECT_EQ(server.requests().size(), 2u);
}

TEST(PutClient, StopFinishesInFlightAndStartsNoMore) {
    stub_http_server server;
    auto opt = fast_options(server.url());
    opt.connections = 1;
    put_client client(opt, {});
    const auto reqs = small_requests(4);
    const std::vector<std::size_t> idx{0, 1, 2, 3};
    std::size_t done = 0;
    client.send(
        reqs, idx,
        [&](std::size_t, const put_outcome& o) {
            ++done;
            EXPECT_EQ(o.result, put_outcome::status::acknowledged);
        },
        [&] { return done >= 1; });
    EXPECT_EQ(done, 1u);
    EXPECT_EQ(server.requests().size(), 1u);
}

/// Sets environment variables for one test and restores them after.
class scoped_env {
public:
    scoped_env(std::initializer_list<std::pair<const char*, const char*>> vars) {
        for (const auto& [k, v] : vars) {
            const char* old = std::getenv(k);
            saved_.emplace_back(k, old ? std::optional<std::string>(old) : std::nullopt);
            ::setenv(k, v, 1);
        }
    }
    ~scoped_env() {
        for (const auto& [k, v] : saved_) v ? ::setenv(k.c_str(), v->c_str(), 1) : ::unsetenv(k.c_str());
    }

private:
    std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST(PutClient, BasicAuthIsSentAndThePasswordNeverShown) {
    scoped_env env{{"TSBATCH_OPENTSDB_USER", "tsb"}, {"TSBATCH_OPENTSDB_PASSWORD", "s3cr3t-pw"}};
    const auto cred = credentials::from_environment();
    EXPECT_EQ(cred.user, "tsb");
    stub_http_server server([](const http_request& r, std::size_t n) {
        // A careless server echoes what it got.
        const std::string echo = "bad login " + r.header("Authorization").value_or("") + " s3cr3t-pw";
        if (n == 2) return http_reply::with(403, "bad login" + std::string(187, '.') + "s3cr3t-pw", "text/plain");
        return http_reply::with(n == 0 ? 401 : 503, echo, "text/plain");
    });
    auto opt = fast_options(server.url());
    opt.max_retries = 0;
    const auto refused = send_one(server.url(), opt, cred);
    EXPECT_EQ(refused.result, put_outcome::status::refused);
    EXPECT_EQ(refused.http_status, 401);
    const auto gave_up = send_one(server.url(), opt, cred);
    EXPECT_EQ(gave_up.result, put_outcome::status::gave_up);
    // The password straddles the 200-byte cut of the body here: no piece of it may show.
    const auto cut = send_one(server.url(), opt, cred);
    EXPECT_EQ(cut.result, put_outcome::status::refused);
    for (const auto* o : {&refused, &gave_up, &cut}) {
        EXPECT_NE(o->message.find("bad login"), std::string::npos) << o->message;
        EXPECT_EQ(o->message.find("s3cr"), std::string::npos) << o->message;
        EXPECT_EQ(o->message.find("dHNiOnMzY3IzdC1wdw"), std::string::npos) << o->message;
    }
    const auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 3u);
    EXPECT_EQ(reqs[0].header("Authorization"), "Basic dHNiOnMzY3IzdC1wdw==");  // base64("tsb:s3cr3t-pw")
}

TEST(PutClient, BearerTokenHeader) {
    scoped_env env{{"TSBATCH_OPENTSDB_TOKEN", "tok-123"}};
    stub_http_server server;
    const auto o = send_one(server.url(), {}, credentials::from_environment());
    EXPECT_EQ(o.result, put_outcome::status::acknowledged);
    const auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].header("Authorization"), "Bearer tok-123");
}

TEST(PutCredentials, ConflictingVariablesAreAUsageError) {
    {
        scoped_env env{{"TSBATCH_OPENTSDB_TOKEN", "t"}, {"TSBATCH_OPENTSDB_USER", "u"}};
        EXPECT_THROW(credentials::from_environment(), usage_error);
    }
    scoped_env env{{"TSBATCH_OPENTSDB_PASSWORD", "p"}, {"TSBATCH_OPENTSDB_USER", ""}};
    EXPECT_THROW(credentials::from_environment(), usage_error);
}

// ---- uid assign ---------------------------------------------------------------------------

TEST(PutUidAssign, PostsTheNamesAndAcceptsAlreadyExists) {
    stub_http_server server;
    server.script(
        {http_reply::with(200, R"({"metric":{"a.b":"000001"}})"),
         http_reply::with(400,
                          R"({"metric_errors":{"a.b":"Name already exists with UID: 000001"},)"
                          R"("tagk":{"host":"000002"},"tagv_errors":{"x":"Name already exists with UID: 000009"}})")});
    put_client client(fast_options(server.url()), {});
    client.assign_uids({"a.b", "q\"z"}, {"host"}, {});
    client.assign_uids({"a.b"}, {"host"}, {"x"});
    client.assign_uids({}, {}, {});  // nothing to send
    const auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[0].method, "POST");
    EXPECT_EQ(reqs[0].target, "/api/uid/assign");
    EXPECT_EQ(reqs[0].header("Content-Type"), "application/json");
    EXPECT_FALSE(reqs[0].header("Content-Encoding").has_value());
    EXPECT_EQ(reqs[0].body, R"({"metric":["a.b","q\"z"],"tagk":["host"]})");
    EXPECT_EQ(reqs[1].body, R"({"metric":["a.b"],"tagk":["host"],"tagv":["x"]})");
}

TEST(PutUidAssign, OtherErrorsAreStorageErrors) {
    stub_http_server server;
    server.script({http_reply::with(400, R"({"metric_errors":{"a.b":"Name already exists with UID: 000001",)"
                                         R"("bad name":"Invalid metric (bad name): illegal character: "}})"),
                   http_reply::with(400, "cannot parse", "text/plain"), http_reply::with(404, "")});
    put_client client(fast_options(server.url()), {});
    try {
        client.assign_uids({"a.b", "bad name"}, {}, {});
        FAIL() << "no storage_error";
    } catch (const storage_error& e) {
        EXPECT_NE(std::string(e.what()).find("illegal character"), std::string::npos) << e.what();
        EXPECT_EQ(std::string(e.what()).find("already exists"), std::string::npos) << e.what();
    }
    try {
        client.assign_uids({"a"}, {}, {});
        FAIL() << "no storage_error";
    } catch (const storage_error& e) {
        EXPECT_NE(std::string(e.what()).find("HTTP 400: cannot parse"), std::string::npos) << e.what();
    }
    EXPECT_THROW(client.assign_uids({"a"}, {}, {}), storage_error);
}

TEST(PutUidAssign, ServerErrorIsRetried) {
    stub_http_server server;
    server.script({http_reply::with(503), http_reply::with(200, "{}")});
    put_client client(fast_options(server.url()), {});
    client.assign_uids({"a"}, {}, {});
    EXPECT_EQ(server.requests().size(), 2u);
}

// ---- push journal ---------------------------------------------------------------------------

class temp_dir {
public:
    temp_dir() {
        std::string pattern = (fs::temp_directory_path() / "tsbatch-journal-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp");
        path_ = pattern;
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    std::string sub(const std::string& name) const { return (path_ / name).string(); }

private:
    fs::path path_;
};

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void spit(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

TEST(PushJournal, RecordThenReopenSeesIt) {
    temp_dir tmp;
    const auto dir = tmp.sub("j");
    {
        push_journal j(dir, "fp-1", 0, true, false);
        EXPECT_EQ(j.recorded_at_open(), 0u);
        EXPECT_FALSE(j.done({1, 2}));
        j.record({1, 2}, "ack");
        j.record({3, 4}, "partial");
        EXPECT_TRUE(j.done({1, 2}));
        j.sync();
    }
    EXPECT_EQ(slurp(dir + "/header"), "fp-1");
    EXPECT_EQ(slurp(dir + "/rank-0.log"), "1 2 ack\n3 4 partial\n");
    push_journal j(dir, "fp-1", 0, true, false);
    EXPECT_EQ(j.recorded_at_open(), 2u);
    EXPECT_TRUE(j.done({1, 2}));
    EXPECT_TRUE(j.done({3, 4}));
    EXPECT_FALSE(j.done({1, 4}));
    EXPECT_FALSE(j.done({2, 1}));
}

TEST(PushJournal, ReadsEveryRanksLog) {
    temp_dir tmp;
    const auto dir = tmp.sub("j");
    { push_journal j0(dir, "fp", 0, true, false); }
    {
        push_journal j1(dir, "fp", 1, false, false);
        j1.record({7, 0}, "ack");
    }
    spit(dir + "/rank-12.log", "9 9 ack\n");
    spit(dir + "/rank-x.log", "8 8 ack\n");     // not a rank log
    push_journal j(dir, "fp", 2, true, false);  // any rank count reads them all
    EXPECT_TRUE(j.done({7, 0}));
    EXPECT_TRUE(j.done({9, 9}));
    EXPECT_FALSE(j.done({8, 8}));
    EXPECT_EQ(j.recorded_at_open(), 2u);
}

TEST(PushJournal, PartialLastLineIsIgnoredAndCutFromOwnLog) {
    temp_dir tmp;
    const auto dir = tmp.sub("j");
    { push_journal j(dir, "fp", 0, true, false); }
    spit(dir + "/rank-0.log", "1 2 ack\n5 6 pa");
    spit(dir + "/rank-1.log", "3 3 ack\n4 4");
    {
        push_journal j(dir, "fp", 0, true, false);
        EXPECT_TRUE(j.done({1, 2}));
        EXPECT_FALSE(j.done({5, 6}));
        EXPECT_TRUE(j.done({3, 3}));
        EXPECT_FALSE(j.done({4, 4}));
        EXPECT_EQ(j.recorded_at_open(), 2u);
        j.record({7, 8}, "ack");
    }
    EXPECT_EQ(slurp(dir + "/rank-0.log"), "1 2 ack\n7 8 ack\n");
    EXPECT_EQ(slurp(dir + "/rank-1.log"), "3 3 ack\n4 4") << "other ranks' logs are only read";
}

TEST(PushJournal, MalformedLineIsAUsageError) {
    temp_dir tmp;
    const auto dir = tmp.sub("j");
    { push_journal j(dir, "fp", 0, true, false); }
    spit(dir + "/rank-0.log", "1 2 ack\n1 x ack\n");
    EXPECT_THROW(push_journal(dir, "fp", 0, true, false), usage_error);
}

TEST(PushJournal, OtherFingerprintIsAUsageError) {
    temp_dir tmp;
    const auto dir = tmp.sub("j");
    {
        push_journal j(dir, "input=a.h5 size=10", 0, true, false);
        j.record({0, 0}, "ack");
    }
    for (const bool may_create : {true, false}) {
        try {
            push_journal j(dir, "input=a.h5 size=11", 0, may_create, false);
            FAIL() << "no usage_error";
        } catch (const usage_error& e) {
            EXPECT_EQ(std::string(e.what()), "push journal " + dir +
                                                 " belongs to another push (input or settings changed); remove it or "
                                                 "pass --restart");
        }
    }
    EXPECT_EQ(slurp(dir + "/rank-0.log"), "0 0 ack\n") << "a refused open changes nothing";
}

TEST(PushJournal, RestartEmptiesIt) {
    temp_dir tmp;
    const auto dir = tmp.sub("j");
    {
        push_journal j(dir, "old", 0, true, false);
        j.record({0, 0}, "ack");
    }
    spit(dir + "/rank-3.log", "5 5 ack\n");
    {
        push_journal j(dir, "new", 0, true, true);
        EXPECT_EQ(j.recorded_at_open(), 0u);
        EXPECT_FALSE(j.done({0, 0}));
        EXPECT_FALSE(j.done({5, 5}));
        j.record({1, 1}, "ack");
    }
    EXPECT_FALSE(fs::exists(dir + "/rank-3.log"));
    EXPECT_EQ(slurp(dir + "/header"), "new");
    // The other ranks open after rank 0 with may_create=false: they must not reset again.
    push_journal j1(dir, "new", 1, false, true);
    EXPECT_TRUE(j1.done({1, 1}));
}

TEST(PushJournal, MissingHeaderOnANonCreatingRank) {
    temp_dir tmp;
    EXPECT_THROW(push_journal(tmp.sub("absent"), "fp", 1, false, false), usage_error);
}

TEST(PushJournal, LogsWithoutHeaderAreRefused) {
    temp_dir tmp;
    const auto dir = tmp.sub("j");
    fs::create_directories(dir);
    spit(dir + "/rank-0.log", "1 1 ack\n");
    EXPECT_THROW(push_journal(dir, "fp", 0, true, false), usage_error);
}

TEST(PushJournal, UnwritableDirectoryIsAnOutputError) {
    temp_dir tmp;
    spit(tmp.sub("file"), "x");
    const auto dir = tmp.sub("file") + "/j";  // below a regular file: fails even as root
    try {
        push_journal j(dir, "fp", 0, true, false);
        FAIL() << "no output_error";
    } catch (const output_error& e) {
        EXPECT_NE(std::string(e.what()).find(dir), std::string::npos) << e.what();
    }
}

TEST(PushJournal, ManyRecordsStayFast) {
    temp_dir tmp;
    const auto dir = tmp.sub("j");
    {
        push_journal j(dir, "fp", 0, true, false);
        for (std::uint64_t c = 0; c < 100; ++c)
            for (std::uint64_t i = 0; i < 100; ++i) j.record({c, i}, "ack");
    }
    push_journal j(dir, "fp", 0, true, false);
    EXPECT_EQ(j.recorded_at_open(), 10000u);
    EXPECT_TRUE(j.done({99, 99}));
    EXPECT_FALSE(j.done({100, 0}));
}

}  // namespace
}  // namespace tsbatch::storage
