#include "pipeline/pg_export.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <cstdio>
#include <optional>
#include <random>

#include "core/error.hpp"
#include "core/format.hpp"
#include "io/result_reader.hpp"
#include "io/staged.hpp"
#include "parallel/agreement.hpp"
#include "storage/pg_client.hpp"
#include "storage/pg_copy.hpp"
#include "text/json_writer.hpp"

namespace tsbatch {
namespace {

std::string tags_json(std::string_view canonical_tags) {
    std::string json;
    text::append_json_tags(json, canonical_tags);
    return json;
}

/// Rows read and encoded at a time, and the COPY data sent at a time.
constexpr std::uint64_t block_rows = 65536;
constexpr std::size_t send_bytes = std::size_t{1} << 20;

/// Where a target column's values come from.
enum class source_kind { run_id, column, metric_of_id, tags_of_id };

struct target_column {
    pg_column sql;
    source_kind source = source_kind::column;
    std::size_t column = 0;  ///< index into the table's columns (source column)
    bool timestamp = false;
};

const char* sql_type(const stored_column& c) {
    if (c.type == column_type::int64) return c.unit == unit_epoch_ms ? "timestamp with time zone" : "bigint";
    if (c.type == column_type::float64) return "double precision";
    return "text";
}

/// The target's columns: run_id, the table's columns in order and, after `id` in a table of
/// series, the series' metric and tags (jsonb) read from the id.
std::vector<target_column> target_columns(const std::vector<stored_column>& cols) {
    std::vector<target_column> out{{{"run_id", "text"}, source_kind::run_id, 0, false}};
    for (std::size_t k = 0; k < cols.size(); ++k) {
        out.push_back({{cols[k].name, sql_type(cols[k])}, source_kind::column, k,
                       cols[k].type == column_type::int64 && cols[k].unit == unit_epoch_ms});
        if (cols[k].name == "id" && cols[k].type == column_type::string) {
            out.push_back({{"metric", "text"}, source_kind::metric_of_id, k, false});
            out.push_back({{"tags", "jsonb"}, source_kind::tags_of_id, k, false});
        }
    }
    return out;
}

std::string column_list_text(const std::vector<pg_column>& cols) {
    std::string s;
    for (const auto& c : cols) s += (s.empty() ? "" : ", ") + c.name + " " + c.type;
    return s;
}

std::vector<pg_column> sql_columns(const std::vector<target_column>& cols) {
    std::vector<pg_column> out;
    for (const auto& c : cols) out.push_back(c.sql);
    return out;
}

std::string create_sql(storage::pg_connection& db, const std::string& table, const std::vector<pg_column>& cols,
                       bool unlogged) {
    std::string sql = std::string("CREATE ") + (unlogged ? "UNLOGGED " : "") + "TABLE " + db.quote_ident(table) + " (";
    for (std::size_t i = 0; i < cols.size(); ++i) sql += (i ? ", " : "") + db.quote_ident(cols[i].name) + " " + cols[i].type;
    return sql + ")";
}

std::string names_sql(storage::pg_connection& db, const std::vector<pg_column>& cols) {
    std::string sql;
    for (std::size_t i = 0; i < cols.size(); ++i) sql += (i ? ", " : "") + db.quote_ident(cols[i].name);
    return sql;
}

/// The columns of an existing table in the search path, or nullopt when there is none.
std::optional<std::vector<pg_column>> existing_columns(storage::pg_connection& db, const std::string& table) {
    const auto exists = db.query("SELECT to_regclass($1) IS NOT NULL", {db.quote_ident(table)}, "looking up " + table);
    if (exists.empty() || exists[0][0] != "t") return std::nullopt;
    std::vector<pg_column> cols;
    for (auto& row : db.query("SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
                              "WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped "
                              "ORDER BY a.attnum",
                              {db.quote_ident(table)}, "reading the columns of " + table))
        cols.push_back({row[0], row[1]});
    return cols;
}

/// What `mode` asks of the target, checked before anything is written (and again, under the
/// table lock, in the publishing transaction): create refuses an existing table, append one
/// with other columns. Returns whether the target exists.
bool check_target(storage::pg_connection& db, const postgres_settings& s, const std::vector<pg_column>& want) {
    const auto have = existing_columns(db, s.table);
    if (!have) return false;
    if (s.mode == "create")
        throw storage_error("PostgreSQL (" + db.describe() + "): table " + s.table +
                            " exists; --mode append adds the rows to it, --mode replace replaces it");
    const bool same = have->size() == want.size() &&
                      std::equal(have->begin(), have->end(), want.begin(),
                                 [](const pg_column& a, const pg_column& b) { return a.name == b.name && a.type == b.type; });
    if (s.mode == "append" && !same)
        throw storage_error("PostgreSQL (" + db.describe() + "): table " + s.table + " has the columns (" +
                            column_list_text(*have) + "), but the export has (" + column_list_text(want) +
                            "); nothing was written (--mode replace replaces the table, or choose another --table)");
    return true;
}

/// Makes the target ready for the rows inside the caller's transaction.
void prepare_target(storage::pg_connection& db, const postgres_settings& s, const std::vector<pg_column>& cols) {
    const bool exists = check_target(db, s, cols);
    const auto name = db.quote_ident(s.table);
    if (exists && s.mode == "replace") db.exec("DROP TABLE " + name, "dropping " + s.table + " to replace it");
    if (!exists || s.mode == "replace") db.exec(create_sql(db, s.table, cols, false), "creating " + s.table);
    else db.exec("LOCK TABLE " + name + " IN SHARE ROW EXCLUSIVE MODE", "locking " + s.table);
}

/// Sends rows [row0, row0 + n) of the table as binary COPY data.
void send_rows(const table_reader& t, const std::vector<target_column>& cols, const std::string& run_id,
               std::uint64_t row0, std::uint64_t n, const std::string& where,
               const std::function<void(std::string_view)>& send) {
    storage::pg_copy_writer w;
    for (std::uint64_t r = row0; r < row0 + n; r += block_rows) {
        const auto rows = std::min(block_rows, row0 + n - r);
        const table_batch b = t.read(r, rows);
        for (std::uint64_t i = 0; i < rows; ++i) {
            w.begin_row(static_cast<std::int16_t>(cols.size()));
            for (const auto& c : cols) {
                switch (c.source) {
                case source_kind::run_id:
                    if (run_id.empty()) w.null();
                    else w.text(run_id);
                    break;
                case source_kind::metric_of_id:
                    w.text(storage::split_series_id(b.columns[c.column].strings[i]).metric);
                    break;
                case source_kind::tags_of_id:
                    w.jsonb(tags_json(storage::split_series_id(b.columns[c.column].strings[i]).tags));
                    break;
                case source_kind::column: {
                    const auto& col = b.columns[c.column];
                    if (col.spec.type == column_type::float64) w.float8(col.floats[i]);
                    else if (col.spec.type == column_type::string) w.text(col.strings[i]);
                    else if (!c.timestamp) w.int8(col.ints[i]);
                    else if (!w.timestamptz_ms(col.ints[i]))
                        throw input_error(where + ": row " + std::to_string(r + i) + ", column " + col.spec.name + ": " +
                                          std::to_string(col.ints[i]) + " ms is outside PostgreSQL's timestamp range");
                    break;
                }
                }
            }
            if (w.bytes().size() >= send_bytes) send(w.take());
        }
    }
    w.finish();
    send(w.take());
}

/// The rows of the export: the target's columns and what encodes rows [row0, row0 + n).
struct pg_rows {
    std::vector<pg_column> columns;
    std::uint64_t rows = 0;
    std::function<void(std::uint64_t row0, std::uint64_t n, const std::function<void(std::string_view)>& send)> send;
};

/// A collection's series table: one row per series with its identity, point count and the
/// times of its first and last points (NULL for an empty series).
void send_series_rows(const staged_reader& in, const std::string& run_id, std::uint64_t row0, std::uint64_t n,
                      const std::function<void(std::string_view)>& send) {
    storage::pg_copy_writer w;
    for (std::uint64_t r = row0; r < row0 + n; r += block_rows) {
        const auto rows = std::min(block_rows, row0 + n - r);
        const auto ids = in.read_strings("id", r, rows), metrics = in.read_strings("metric", r, rows),
                   tags = in.read_strings("tags", r, rows);
        const auto times = in.time_extents({r, r + rows});
        for (std::uint64_t i = 0; i < rows; ++i) {
            w.begin_row(8);
            if (run_id.empty()) w.null();
            else w.text(run_id);
            w.int8(static_cast<std::int64_t>(r + i));
            w.text(ids[i]);
            w.text(metrics[i]);
            w.jsonb(tags_json(tags[i]));
            const auto count = in.counts()[r + i];
            w.int8(static_cast<std::int64_t>(count));
            for (const auto t : {times[i].first, times[i].last})
                if (count == 0) w.null();
                else if (!w.timestamptz_ms(t))
                    throw input_error(in.path() + ": series " + ids[i] + ": " + std::to_string(t) +
                                      " ms is outside PostgreSQL's timestamp range");
            if (w.bytes().size() >= send_bytes) send(w.take());
        }
    }
    w.finish();
    send(w.take());
}

const std::vector<pg_column> series_table_columns = {
    {"run_id", "text"},  {"series_index", "bigint"}, {"id", "text"},
    {"metric", "text"},  {"tags", "jsonb"},          {"count", "bigint"},
    {"first_time", "timestamp with time zone"},      {"last_time", "timestamp with time zone"}};

std::string copy_sql(storage::pg_connection& db, const std::string& table, const std::vector<pg_column>& cols) {
    return "COPY " + db.quote_ident(table) + " (" + names_sql(db, cols) + ") FROM STDIN (FORMAT binary)";
}

/// A token for this export's staging tables, the same on every rank.
std::string staging_token(const comm& c) {
    std::random_device rd;
    char buf[24];
    std::snprintf(buf, sizeof buf, "%08x%04x", rd(), static_cast<unsigned>(::getpid()) & 0xFFFF);
    return c.broadcast(std::string(buf));
}

}  // namespace

namespace {

// One transaction straight into the target on one rank; staging tables and one publishing
// transaction on several.
void load_rows(const comm& c, const staged_location& where, const postgres_settings& s, const pg_rows& src) {
    const auto& sql_cols = src.columns;
    const auto rank = static_cast<std::uint64_t>(c.rank()), ranks = static_cast<std::uint64_t>(c.size());
    const std::uint64_t row0 = src.rows * rank / ranks, my_rows = src.rows * (rank + 1) / ranks - row0;
    const std::string what = "loading " + where.name() + " into " + s.table;
    auto produce = [&](const std::function<void(std::string_view)>& send) { src.send(row0, my_rows, send); };

    if (c.size() == 1) {
        storage::pg_connection db(s.dsn);
        db.exec("BEGIN", what);
        prepare_target(db, s, sql_cols);
        db.copy_in(copy_sql(db, s.table, sql_cols), produce, what);
        db.exec("COMMIT", what);
        return;
    }
    // Checked first, so that a refused export writes nothing, not even staging tables.
    // Staging tables of this target left by an export the server's crash interrupted go
    // too (an export to the same table at the same time would conflict anyway).
    agreed_phase(c, [&] {
        if (!c.is_root()) return;
        storage::pg_connection db(s.dsn);
        check_target(db, s, sql_cols);
        for (const auto& row : db.query("SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = "
                                        "to_regnamespace(current_schema()) AND starts_with(relname, $1)",
                                        {s.table + "__tsbatch_"}, "looking for staging tables of " + s.table))
            db.exec("DROP TABLE IF EXISTS " + db.quote_ident(row[0]), "dropping the staging table " + row[0]);
    });
    const auto token = staging_token(c);
    auto stage_of = [&](std::uint64_t r) { return s.table + "__tsbatch_" + token + "_" + std::to_string(r); };
    try {
        agreed_phase(c, [&] {
            storage::pg_connection db(s.dsn);
            db.exec(create_sql(db, stage_of(rank), sql_cols, true), "creating the staging table " + stage_of(rank));
            db.copy_in(copy_sql(db, stage_of(rank), sql_cols), produce, what);
        });
        agreed_phase(c, [&] {
            if (!c.is_root()) return;
            storage::pg_connection db(s.dsn);
            db.exec("BEGIN", what);
            prepare_target(db, s, sql_cols);
            for (std::uint64_t r = 0; r < ranks; ++r) {
                db.exec("INSERT INTO " + db.quote_ident(s.table) + " (" + names_sql(db, sql_cols) + ") SELECT " +
                            names_sql(db, sql_cols) + " FROM " + db.quote_ident(stage_of(r)),
                        what + " (rank " + std::to_string(r) + "'s rows)");
                db.exec("DROP TABLE " + db.quote_ident(stage_of(r)), "dropping " + stage_of(r));
            }
            db.exec("COMMIT", what);
        });
    } catch (...) {
        // Best effort: what a failed export leaves is named after the target, and the next
        // export to the same target drops it.
        if (c.is_root()) {
            try {
                storage::pg_connection db(s.dsn);
                for (std::uint64_t r = 0; r < ranks; ++r)
                    db.exec("DROP TABLE IF EXISTS " + db.quote_ident(stage_of(r)), "dropping " + stage_of(r));
            } catch (...) {
            }
        }
        throw;
    }
}

}  // namespace

void export_to_postgres(const comm& c, const staged_location& where, const postgres_settings& s) {
    const auto t0 = std::chrono::steady_clock::now();
    std::optional<result_file> file;
    stored_kind kind = stored_kind::other;
    std::string run_id;
    agreed_phase(c, [&] {
        if (s.table.empty()) throw usage_error("--to postgres needs --table NAME");
        if (std::find(std::begin(postgres_modes), std::end(postgres_modes), s.mode) == std::end(postgres_modes))
            throw usage_error("--mode must be create, append or replace, not '" + s.mode + "'");
        storage::refuse_password_in_conninfo(s.dsn);
        file.emplace(where.path);
        kind = file->kind_of(where.group);
        if (kind != stored_kind::table && kind != stored_kind::collection)
            throw input_error(where.name() + " is neither a table nor a collection; --to postgres loads tables (as "
                              "run.h5:/q) and the series of collections (as run.h5:/hourly); matrices go to CSV");
        const auto start = file->string_attr("/", "start_time"), host = file->string_attr("/", "host");
        if (!start.empty()) run_id = start + "@" + host;
    });
    pg_rows src;
    std::optional<table_reader> table;
    std::optional<staged_reader> collection;
    std::vector<target_column> cols;
    if (kind == stored_kind::table) {
        agreed_phase(c, [&] {
            table.emplace(*file, where.group);
            cols = target_columns(table->columns());
        });
        src.columns = sql_columns(cols);
        src.rows = table->rows();
        src.send = [&](std::uint64_t row0, std::uint64_t n, const std::function<void(std::string_view)>& send) {
            send_rows(*table, cols, run_id, row0, n, where.name(), send);
        };
    } else {
        agreed_phase(c, [&] { collection.emplace(where.path, where.group, c); });
        src.columns = series_table_columns;
        src.rows = collection->series_count();
        src.send = [&](std::uint64_t row0, std::uint64_t n, const std::function<void(std::string_view)>& send) {
            send_series_rows(*collection, run_id, row0, n, send);
        };
    }
    load_rows(c, where, s, src);
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (c.is_root()) {
        std::printf("exported %s%s to PostgreSQL table %s (%s): %s rows in %.2f s (%s rows/s)\n",
                    kind == stored_kind::collection ? "the series of " : "", where.name().c_str(), s.table.c_str(),
                    s.mode.c_str(), format_grouped_count(src.rows).c_str(), sec,
                    format_human_count(static_cast<double>(src.rows) / std::max(sec, 1e-9)).c_str());
        std::fflush(stdout);
    }
}

}  // namespace tsbatch
