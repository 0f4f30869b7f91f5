#include "core/redact.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace tsbatch {
namespace {

constexpr std::string_view hidden = "***";

// Where the authority (user info, host, port) of `url` starts and ends; npos when `url` has
// no `scheme://`.
struct authority_span {
    std::size_t begin = std::string_view::npos;
    std::size_t end = std::string_view::npos;
};

authority_span authority_of(std::string_view url) {
    const auto scheme = url.find("://");
    if (scheme == std::string_view::npos) return {};
    const auto begin = scheme + 3;
    auto end = url.find_first_of("/?#", begin);
    if (end == std::string_view::npos) end = url.size();
    return {begin, end};
}

bool names_a_secret(std::string_view name) {
    static constexpr std::array<std::string_view, 9> words{"token", "pass", "pwd",  "secret",    "key",
                                                           "auth",  "sig",  "cred", "session"};
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return std::any_of(words.begin(), words.end(),
                       [&](std::string_view w) { return lower.find(w) != std::string::npos; });
}

bool ends_url(char c) {
    return std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '\'' || c == '<' || c == '>' ||
           c == '`';
}

bool in_scheme(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
}

}  // namespace

bool url_has_user_info(std::string_view url) {
    const auto a = authority_of(url);
    if (a.begin == std::string_view::npos) return false;
    return url.substr(a.begin, a.end - a.begin).find('@') != std::string_view::npos;
}

std::string redact_url(std::string_view url) {
    std::string out;
    const auto a = authority_of(url);
    std::size_t at = 0;
    if (a.begin != std::string_view::npos) {
        const auto user_end = url.substr(a.begin, a.end - a.begin).rfind('@');
        if (user_end != std::string_view::npos) {
            out.append(url.substr(0, a.begin));
            out.append(hidden);
            at = a.begin + user_end;  // the '@' and what follows are kept
        }
    }
    const auto query = url.find('?', at);
    const auto fragment = url.find('#', at);
    if (query == std::string_view::npos || (fragment != std::string_view::npos && fragment < query)) {
        out.append(url.substr(at));
        return out;
    }
    out.append(url.substr(at, query + 1 - at));
    const auto query_end = fragment == std::string_view::npos ? url.size() : fragment;
    for (std::size_t p = query + 1; p <= query_end;) {
        auto amp = url.find('&', p);
        if (amp == std::string_view::npos || amp > query_end) amp = query_end;
        const auto pair = url.substr(p, amp - p);
        const auto eq = pair.find('=');
        if (eq != std::string_view::npos && names_a_secret(pair.substr(0, eq))) {
            out.append(pair.substr(0, eq + 1));
            out.append(hidden);
        } else {
            out.append(pair);
        }
        if (amp < query_end) out += '&';
        p = amp + 1;
    }
    out.append(url.substr(query_end));
    return out;
}

std::string redact_urls_in(std::string_view text) {
    std::string out;
    std::size_t done = 0;
    for (auto sep = text.find("://"); sep != std::string_view::npos; sep = text.find("://", sep + 3)) {
        if (sep < done) continue;
        auto begin = sep;
        while (begin > done && in_scheme(text[begin - 1])) --begin;
        if (begin == sep) continue;  // no scheme before "://"
        auto end = sep + 3;
        while (end < text.size() && !ends_url(text[end])) ++end;
        out.append(text.substr(done, begin - done));
        out.append(redact_url(text.substr(begin, end - begin)));
        done = end;
    }
    out.append(text.substr(done));
    return out;
}

}  // namespace tsbatch
