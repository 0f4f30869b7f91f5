#pragma once
// A scripted HTTP/1.1 server on 127.0.0.1 (ephemeral port) for client tests: one thread
// polls the listening socket and every connection, keeps connections alive, records each
// request (method, target, headers, body) and answers it as the script says: a status and a
// body, closing the connection without an answer, or never answering.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace tsbatch::test {

struct http_request {
    std::string method, target;
    std::vector<std::pair<std::string, std::string>> headers;  ///< names as sent
    std::string body;

    /// The value of the first header called `name` (any case), or nullopt.
    std::optional<std::string> header(std::string_view name) const {
        for (const auto& [k, v] : headers)
            if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
                    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
                }))
                return v;
        return std::nullopt;
    }
};

struct http_reply {
    enum class kind { respond, close, hang };
    kind what = kind::respond;
    int status = 204;
    std::string body;
    std::string content_type = "application/json";

    static http_reply with(int status, std::string body = {}, std::string content_type = "application/json") {
        return {kind::respond, status, std::move(body), std::move(content_type)};
    }
    /// Closes the connection after reading the request, without a byte of answer.
    static http_reply close_connection() { return {kind::close, 0, {}, {}}; }
    /// Reads the request and never answers (the client has to time out).
    static http_reply hang() { return {kind::hang, 0, {}, {}}; }
};

class stub_http_server {
public:
    /// Decides the answer to the n-th request (0-based, in arrival order).
    using handler = std::function<http_reply(const http_request&, std::size_t n)>;

    /// Answers from script(), in arrival order; 204 once the script is used up.
    stub_http_server() : stub_http_server(handler{}) {}

    explicit stub_http_server(handler h) : handler_(std::move(h)) {
        listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (listen_fd_ < 0) throw std::runtime_error("stub server: socket failed");
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        socklen_t len = sizeof addr;
        if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 64) != 0 ||
            ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
            ::close(listen_fd_);
            throw std::runtime_error("stub server: cannot listen on 127.0.0.1");
        }
        port_ = ntohs(addr.sin_port);
        if (::pipe2(wake_, O_CLOEXEC) != 0) {
            ::close(listen_fd_);
            throw std::runtime_error("stub server: pipe failed");
        }
        thread_ = std::thread([this] { loop(); });
    }

    ~stub_http_server() {
        const char c = 'x';
        [[maybe_unused]] const auto n = ::write(wake_[1], &c, 1);
        thread_.join();
        for (const auto& conn : conns_) ::close(conn.fd);
        ::close(listen_fd_);
        ::close(wake_[0]);
        ::close(wake_[1]);
    }

    stub_http_server(const stub_http_server&) = delete;
    stub_http_server& operator=(const stub_http_server&) = delete;

    int port() const noexcept { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

    void script(std::vector<http_reply> replies) {
        std::lock_guard lock(mutex_);
        script_.assign(replies.begin(), replies.end());
    }

    std::vector<http_request> requests() const {
        std::lock_guard lock(mutex_);
        return requests_;
    }

    std::size_t connections_accepted() const {
        std::lock_guard lock(mutex_);
        return accepted_;
    }

private:
    struct connection {
        int fd;
        std::string in;
        bool hanging = false;
    };

    void loop() {
        for (;;) {
            std::vector<pollfd> fds{{wake_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
            for (const auto& c : conns_) fds.push_back({c.fd, POLLIN, 0});
            if (::poll(fds.data(), fds.size(), -1) < 0) continue;
            if (fds[0].revents != 0) return;
            if (fds[1].revents & POLLIN) accept_one();
            // Walk backwards so that closing (erasing) a connection keeps the indices valid.
            for (std::size_t i = fds.size(); i-- > 2;)
                if (fds[i].revents != 0) serve(i - 2);
        }
    }

    void accept_one() {
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) return;
        conns_.push_back({fd, {}, false});
        std::lock_guard lock(mutex_);
        ++accepted_;
    }

    void drop(std::size_t i) {
        ::close(conns_[i].fd);
        conns_.erase(conns_.begin() + static_cast<std::ptrdiff_t>(i));
    }

    void serve(std::size_t i) {
        char buf[65536];
        const ssize_t n = ::recv(conns_[i].fd, buf, sizeof buf, 0);
        if (n <= 0) return drop(i);
        if (conns_[i].hanging) return;  // read and ignore: the client is meant to time out
        conns_[i].in.append(buf, static_cast<std::size_t>(n));
        while (auto req = take_request(conns_[i].in)) {
            const http_reply reply = answer_for(*req);
            if (reply.what == http_reply::kind::close) return drop(i);
            if (reply.what == http_reply::kind::hang) {
                conns_[i].hanging = true;
                return;
            }
            send_reply(conns_[i].fd, reply);
        }
    }

    http_reply answer_for(const http_request& req) {
        std::size_t n;
        {
            std::lock_guard lock(mutex_);
            n = requests_.size();
            requests_.push_back(req);
        }
        if (handler_) return handler_(req, n);
        std::lock_guard lock(mutex_);
        if (script_.empty()) return http_reply::with(204);
        http_reply r = std::move(script_.front());
        script_.pop_front();
        return r;
    }

    /// Takes one complete request off the front of `in` (Content-Length bodies only: that is
    /// what libcurl sends for a POST of a known size).
    static std::optional<http_request> take_request(std::string& in) {
        const auto head_end = in.find("\r\n\r\n");
        if (head_end == std::string::npos) return std::nullopt;
        http_request r;
        std::size_t at = in.find("\r\n");
        const std::string line = in.substr(0, at);
        const auto sp1 = line.find(' '), sp2 = line.rfind(' ');
        r.method = line.substr(0, sp1);
        r.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
        std::size_t length = 0;
        while (at < head_end) {
            const std::size_t next = in.find("\r\n", at + 2);
            const std::string h = in.substr(at + 2, next - at - 2);
            const auto colon = h.find(':');
            std::string value = colon == std::string::npos ? std::string() : h.substr(colon + 1);
            value.erase(0, value.find_first_not_of(" \t"));
            r.headers.emplace_back(h.substr(0, colon), value);
            at = next;
        }
        if (auto cl = r.header("Content-Length")) length = std::stoul(*cl);
        if (in.size() < head_end + 4 + length) return std::nullopt;
        r.body = in.substr(head_end + 4, length);
        in.erase(0, head_end + 4 + length);
        return r;
    }

    static void send_reply(int fd, const http_reply& r) {
        std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + reason(r.status) + "\r\n";
        if (!r.body.empty()) out += "Content-Type: " + r.content_type + "\r\n";
        out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n\r\n" + r.body;
        for (std::size_t sent = 0; sent < out.size();) {
            const ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) return;
            sent += static_cast<std::size_t>(n);
        }
    }

    static const char* reason(int status) {
        switch (status) {
            case 200:
                return "OK";
            case 204:
                return "No Content";
            case 400:
                return "Bad Request";
            case 401:
                return "Unauthorized";
            case 404:
                return "Not Found";
            case 500:
                return "Internal Server Error";
            case 503:
                return "Service Unavailable";
            default:
                return "Status";
        }
    }

    handler handler_;
    int listen_fd_ = -1;
    int wake_[2] = {-1, -1};
    int port_ = 0;
    std::thread thread_;
    std::vector<connection> conns_;  // server thread only
    mutable std::mutex mutex_;
    std::deque<http_reply> script_;
    std::vector<http_request> requests_;
    std::size_t accepted_ = 0;
};

}  // namespace tsbatch::test
