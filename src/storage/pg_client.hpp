#pragma once
// A PostgreSQL connection through libpq: commands, small queries and COPY FROM STDIN. The
// server and credentials come from libpq's own environment (PGHOST, PGPORT, PGDATABASE,
// PGUSER, PGPASSWORD, PGSERVICE, ~/.pgpass) or a connection string without a password, so
// a password is never in argv, a log or a result. Errors throw storage_error (exit 5) with
// libpq's message, which never holds the password.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tsbatch::storage {

/// Throws usage_error when `conninfo` ("key=value ..." or a postgresql:// URI) holds a
/// password, or cannot be parsed; the message names it as `setting` and does not repeat it.
void refuse_password_in_conninfo(const std::string& conninfo, const std::string& setting = "--dsn");

class pg_connection {
public:
    /// Connects with `conninfo` ("" = libpq's environment alone).
    explicit pg_connection(const std::string& conninfo);
    ~pg_connection();
    pg_connection(const pg_connection&) = delete;
    pg_connection& operator=(const pg_connection&) = delete;

    /// "database DB on HOST:PORT as USER", for messages.
    std::string describe() const;

    /// Runs commands that return no rows; `what` names them in an error.
    void exec(const std::string& sql, const std::string& what);
    /// Runs a query with text parameters ($1, $2 ...); rows of text values ("" for NULL).
    std::vector<std::vector<std::string>> query(const std::string& sql, const std::vector<std::string>& params,
                                                const std::string& what);

    /// Runs `copy_sql` (COPY ... FROM STDIN) and sends what `produce` gives: it is called
    /// with a function that takes the next piece of data, and returns when all is given.
    void copy_in(const std::string& copy_sql, const std::function<void(const std::function<void(std::string_view)>&)>& produce,
                 const std::string& what);

    /// An identifier or a string literal quoted for SQL by libpq.
    std::string quote_ident(std::string_view name) const;
    std::string quote_literal(std::string_view text) const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace tsbatch::storage
