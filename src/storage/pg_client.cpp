#include "storage/pg_client.hpp"

#include <libpq-fe.h>

#include "core/error.hpp"

namespace tsbatch::storage {
namespace {

std::string trimmed(const char* message) {
    std::string s = message != nullptr ? message : "";
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

struct result_deleter {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using result_ptr = std::unique_ptr<PGresult, result_deleter>;

}  // namespace

void refuse_password_in_conninfo(const std::string& conninfo, const std::string& setting) {
    if (conninfo.empty()) return;
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
    if (options == nullptr) {
        const std::string why = trimmed(error);
        PQfreemem(error);
        throw usage_error(setting + " is not a PostgreSQL connection string: " + why);
    }
    bool has_password = false;
    for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o)
        if (std::string_view(o->keyword) == "password" && o->val != nullptr && *o->val != '\0') has_password = true;
    PQconninfoFree(options);
    if (has_password)
        throw usage_error(setting + " holds a password, which would be visible in the process list, shell history "
                          "and provenance; give it in PGPASSWORD or ~/.pgpass instead");
}

struct pg_connection::impl {
    PGconn* conn = nullptr;
    ~impl() {
        if (conn != nullptr) PQfinish(conn);
    }
    [[noreturn]] void fail(const std::string& what) const {
        throw storage_error("PostgreSQL (" + where() + "): " + what + ": " + trimmed(PQerrorMessage(conn)));
    }
    std::string where() const {
        const char* db = PQdb(conn);
        const char* host = PQhost(conn);
        const char* port = PQport(conn);
        std::string h = host != nullptr && *host != '\0' ? host : "local socket";
        if (!h.empty() && h.front() == '/') h = "socket " + h;
        return std::string("database ") + (db != nullptr ? db : "?") + " on " + h + (port != nullptr && *port ? ":" + std::string(port) : "");
    }
    result_ptr checked(PGresult* r, ExecStatusType want, const std::string& what) const {
        result_ptr owned(r);
        if (owned == nullptr || PQresultStatus(owned.get()) != want) {
            const std::string message = owned ? trimmed(PQresultErrorMessage(owned.get())) : trimmed(PQerrorMessage(conn));
            throw storage_error("PostgreSQL (" + where() + "): " + what + ": " + message);
        }
        return owned;
    }
};

pg_connection::pg_connection(const std::string& conninfo) : impl_(std::make_unique<impl>()) {
    refuse_password_in_conninfo(conninfo);
    impl_->conn = PQconnectdb(conninfo.c_str());
    if (impl_->conn == nullptr) throw storage_error("PostgreSQL: cannot allocate a connection");
    if (PQstatus(impl_->conn) != CONNECTION_OK)
        throw storage_error("PostgreSQL: cannot connect: " + trimmed(PQerrorMessage(impl_->conn)));
    // Every text value tsbatch sends is UTF-8, whatever the client's locale says.
    if (PQsetClientEncoding(impl_->conn, "UTF8") != 0) impl_->fail("cannot set the client encoding to UTF8");
}

pg_connection::~pg_connection() = default;

std::string pg_connection::describe() const { return impl_->where(); }

void pg_connection::exec(const std::string& sql, const std::string& what) {
    impl_->checked(PQexec(impl_->conn, sql.c_str()), PGRES_COMMAND_OK, what);
}

std::vector<std::vector<std::string>> pg_connection::query(const std::string& sql, const std::vector<std::string>& params,
                                                           const std::string& what) {
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p.c_str());
    const auto r = impl_->checked(PQexecParams(impl_->conn, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                               values.data(), nullptr, nullptr, 0),
                                  PGRES_TUPLES_OK, what);
    std::vector<std::vector<std::string>> rows(static_cast<std::size_t>(PQntuples(r.get())));
    for (int i = 0; i < PQntuples(r.get()); ++i)
        for (int j = 0; j < PQnfields(r.get()); ++j) rows[static_cast<std::size_t>(i)].emplace_back(PQgetvalue(r.get(), i, j));
    return rows;
}

void pg_connection::copy_in(const std::string& copy_sql,
                            const std::function<void(const std::function<void(std::string_view)>&)>& produce,
                            const std::string& what) {
    impl_->checked(PQexec(impl_->conn, copy_sql.c_str()), PGRES_COPY_IN, what);
    bool sent = false;
    try {
        produce([&](std::string_view piece) {
            if (piece.empty()) return;
            if (PQputCopyData(impl_->conn, piece.data(), static_cast<int>(piece.size())) != 1)
                impl_->fail(what + " (sending rows)");
        });
        sent = true;
    } catch (...) {
        // Abort the COPY so the server rolls it back; the caller's transaction fails with it.
        PQputCopyEnd(impl_->conn, "tsbatch stopped the export");
        while (PGresult* r = PQgetResult(impl_->conn)) PQclear(r);
        throw;
    }
    if (sent && PQputCopyEnd(impl_->conn, nullptr) != 1) impl_->fail(what + " (ending the rows)");
    impl_->checked(PQgetResult(impl_->conn), PGRES_COMMAND_OK, what);
    while (PGresult* r = PQgetResult(impl_->conn)) PQclear(r);
}

std::string pg_connection::quote_ident(std::string_view name) const {
    char* q = PQescapeIdentifier(impl_->conn, name.data(), name.size());
    if (q == nullptr) impl_->fail("cannot quote the name '" + std::string(name) + "'");
    std::string out(q);
    PQfreemem(q);
    return out;
}

std::string pg_connection::quote_literal(std::string_view text) const {
    char* q = PQescapeLiteral(impl_->conn, text.data(), text.size());
    if (q == nullptr) impl_->fail("cannot quote a string");
    std::string out(q);
    PQfreemem(q);
    return out;
}

}  // namespace tsbatch::storage
