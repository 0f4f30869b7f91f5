#pragma once
// `tsbatch export --to postgres`: a result table into a PostgreSQL table, all rows or none.
// One rank copies straight into the target in one transaction; several ranks each copy their
// rows into a staging table of their own, and one final transaction on rank 0 publishes them,
// so readers never see a half-loaded table.
#include <string>
#include <vector>

#include "parallel/comm.hpp"
#include "pipeline/storage_stage.hpp"

namespace tsbatch {

struct postgres_settings {
    std::string table;            ///< the target table (quoted for SQL by libpq)
    std::string mode = "create";  ///< create (refuses an existing table), append or replace
    std::string dsn;              ///< libpq connection string without a password; "" = libpq's environment
};
inline constexpr const char* postgres_modes[] = {"create", "append", "replace"};

/// A column of the target table: its name and SQL type as PostgreSQL's format_type writes it.
struct pg_column {
    std::string name;
    std::string type;
};

/// Collective. Loads the table at `where` into s.table. Throws storage_error (exit 5) when the
/// server fails, refuses the rows, or the table exists with other columns (naming both lists),
/// leaving the target as it was; input_error for a group that is not a table.
void export_to_postgres(const comm& c, const staged_location& where, const postgres_settings& s);

}  // namespace tsbatch
