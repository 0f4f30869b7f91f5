#pragma once
// Secrets never reach a log, a message or a result file (README: credentials come from the
// environment). URLs are the one place a user may still write one: a URL with user
// information is refused where the program takes it, and every URL the program prints or
// stores goes through redact_url as a second line of defence.
#include <string>
#include <string_view>

namespace tsbatch {

/// `url` with its user information (`user:password@`) and the values of query parameters
/// named like secrets (token, password, secret, key, auth, signature ...) replaced by `***`.
std::string redact_url(std::string_view url);

/// `text` with every URL in it (`scheme://` up to white space or a quote) redacted.
std::string redact_urls_in(std::string_view text);

/// Whether `url` holds user information (`user@` or `user:password@` before the host).
bool url_has_user_info(std::string_view url);

}  // namespace tsbatch
