#include "io/result_reader.hpp"

#include <filesystem>

#include "core/error.hpp"
#include "io/h5.hpp"
#include "io/staged.hpp"
#include "parallel/comm.hpp"

namespace tsbatch {
namespace {

std::string child_path(const std::string& parent, const std::string& name) {
    return parent == "/" ? "/" + name : parent + "/" + name;
}

std::string parent_of(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

stored_kind kind_from_format(const std::string& format) {
    if (format == series_format) return stored_kind::collection;
    if (format == table_format) return stored_kind::table;
    if (format == matrix_format) return stored_kind::matrix;
    return stored_kind::other;
}

std::vector<std::string> split_labels(const std::string& text) {
    std::vector<std::string> out;
    std::size_t from = 0;
    for (;;) {
        const auto comma = text.find(',', from);
        out.push_back(text.substr(from, comma - from));
        if (comma == std::string::npos) return out;
        from = comma + 1;
    }
}

}  // namespace

// ---------------------------------------------------------------------------------------
// result_file

struct result_file::impl {
    std::string path;
    h5::file file;

    [[noreturn]] void fail(const std::string& what) const { throw input_error(path + ": " + what); }

    h5::object open(const std::string& object) const {
        const h5::silence_errors quiet;
        if (object != "/" && !h5::exists(file.get(), object)) fail("has no group or dataset " + object);
        try {
            return h5::open_object(file.get(), object);
        } catch (const h5::failure& e) {
            fail("cannot open " + object + ": " + e.what());
        }
    }

    void collect(const std::string& object, std::vector<stored_object>& out) const {
        const auto kind = kind_of(object);
        if (kind != stored_kind::other) {
            out.push_back({object, kind});
            return;
        }
        if (!h5::is_group(file.get(), object)) return;  // a plain dataset: nothing to export
        const h5::group g = h5::open_group(file.get(), object);
        for (const auto& name : h5::member_names(g.get())) collect(child_path(object, name), out);
    }

    stored_kind kind_of(const std::string& object) const {
        const auto obj = open(object);
        return kind_from_format(h5::read_string_attr(obj.get(), "tsbatch_format").value_or(""));
    }
};

result_file::result_file(const std::string& path) : impl_(std::make_unique<impl>()) {
    impl_->path = path;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) throw input_error(path + ": no such file");
    const h5::silence_errors quiet;
    if (H5Fis_hdf5(path.c_str()) <= 0) throw input_error(path + ": not an HDF5 file");
    try {
        const comm local;
        impl_->file = h5::open_file(path, false, h5::file_access(local));
    } catch (const h5::failure& e) {
        throw input_error(path + ": cannot open: " + e.what());
    }
}

result_file::~result_file() = default;
result_file::result_file(result_file&&) noexcept = default;
result_file& result_file::operator=(result_file&&) noexcept = default;

const std::string& result_file::path() const noexcept { return impl_->path; }
long long result_file::id() const noexcept { return impl_->file.get(); }

stored_kind result_file::kind_of(const std::string& object) const { return impl_->kind_of(object); }

std::string result_file::string_attr(const std::string& object, const std::string& name) const {
    const auto obj = impl_->open(object);
    const h5::silence_errors quiet;
    try {
        return h5::read_string_attr(obj.get(), name).value_or("");
    } catch (const h5::failure&) {
        return "";  // not a string
    }
}

std::vector<stored_object> result_file::objects_under(const std::string& object) const {
    std::vector<stored_object> out;
    impl_->collect(object, out);
    return out;
}

// ---------------------------------------------------------------------------------------
// table_reader

struct table_reader::impl {
    std::string where;  ///< "file:group", for errors
    std::vector<stored_column> columns;
    std::vector<h5::dataset> datasets;  ///< one per column
    std::uint64_t rows = 0;
};

table_reader::table_reader(const result_file& file, const std::string& group) : impl_(std::make_unique<impl>()) {
    impl& d = *impl_;
    d.where = file.path() + ":" + group;
    if (file.kind_of(group) != stored_kind::table) throw input_error(d.where + " is not a tsbatch table");
    const h5::silence_errors quiet;
    try {
        const auto fid = static_cast<hid_t>(file.id());
        const h5::group g = h5::open_group(fid, group);
        bool first = true;
        for (const auto& name : h5::member_names(g.get())) {
            auto ds = h5::open_dataset(g.get(), name);
            if (h5::dims(ds.get()).size() != 1) throw input_error(d.where + ": column " + name + " is not 1-D");
            const auto n = h5::length(ds.get());
            if (!first && n != d.rows)
                throw input_error(d.where + ": column " + name + " has " + std::to_string(n) + " rows, not " +
                                  std::to_string(d.rows) + " like the columns before it");
            d.rows = n;
            first = false;
            const auto t = h5::type_of(ds.get());
            stored_column col{name, column_type::float64, h5::read_string_attr(ds.get(), "unit").value_or("")};
            if (t.cls == H5T_STRING) col.type = column_type::string;
            else if (t.cls == H5T_INTEGER) col.type = column_type::int64;
            else if (t.cls != H5T_FLOAT)
                throw input_error(d.where + ": column " + name + " is neither a number nor a string");
            d.columns.push_back(std::move(col));
            d.datasets.push_back(std::move(ds));
        }
    } catch (const h5::failure& e) {
        throw input_error(d.where + ": cannot read the table: " + e.what());
    }
}

table_reader::~table_reader() = default;
table_reader::table_reader(table_reader&&) noexcept = default;

std::uint64_t table_reader::rows() const noexcept { return impl_->rows; }
const std::vector<stored_column>& table_reader::columns() const noexcept { return impl_->columns; }

table_batch table_reader::read(std::uint64_t start, std::uint64_t n) const {
    const impl& d = *impl_;
    if (start > d.rows || n > d.rows - start)
        throw internal_error(d.where + ": rows " + std::to_string(start) + "+" + std::to_string(n) + " past the end");
    table_batch out;
    const h5::silence_errors quiet;
    try {
        for (std::size_t k = 0; k < d.columns.size(); ++k) {
            table_column col{{d.columns[k].name, d.columns[k].type, d.columns[k].unit, ""}, {}, {}, {}};
            const hid_t ds = d.datasets[k].get();
            switch (col.spec.type) {
            case column_type::int64:
                col.ints.resize(n);
                h5::read_slab(ds, H5T_NATIVE_INT64, start, n, col.ints.data());
                break;
            case column_type::float64:
                col.floats.resize(n);
                h5::read_slab(ds, H5T_NATIVE_DOUBLE, start, n, col.floats.data());
                break;
            case column_type::string:
                col.strings = h5::read_strings(ds, start, n);
                break;
            }
            out.columns.push_back(std::move(col));
        }
    } catch (const h5::failure& e) {
        throw input_error(d.where + ": cannot read rows " + std::to_string(start) + ".." +
                          std::to_string(start + n) + ": " + e.what());
    }
    return out;
}

// ---------------------------------------------------------------------------------------
// matrix_reader

struct matrix_reader::impl {
    const result_file* file = nullptr;
    std::string path;
    std::string where;
    h5::dataset dataset;
    std::uint64_t rows = 0, cols = 0;
    std::string axis[2];
    std::string label_attr[2];  ///< row_labels / col_labels, "" without
};

matrix_reader::matrix_reader(const result_file& file, const std::string& path) : impl_(std::make_unique<impl>()) {
    impl& d = *impl_;
    d.file = &file;
    d.path = path;
    d.where = file.path() + ":" + path;
    if (file.kind_of(path) != stored_kind::matrix) throw input_error(d.where + " is not a tsbatch matrix");
    const h5::silence_errors quiet;
    try {
        d.dataset = h5::open_dataset(static_cast<hid_t>(file.id()), path);
        const auto dims = h5::dims(d.dataset.get());
        if (dims.size() != 2) throw input_error(d.where + " is a matrix that is not 2-D");
        d.rows = dims[0];
        d.cols = dims[1];
        d.axis[0] = h5::read_string_attr(d.dataset.get(), "row_axis").value_or("row");
        d.axis[1] = h5::read_string_attr(d.dataset.get(), "col_axis").value_or("column");
        d.label_attr[0] = h5::read_string_attr(d.dataset.get(), "row_labels").value_or("");
        d.label_attr[1] = h5::read_string_attr(d.dataset.get(), "col_labels").value_or("");
    } catch (const h5::failure& e) {
        throw input_error(d.where + ": cannot open the matrix: " + e.what());
    }
}

matrix_reader::~matrix_reader() = default;
matrix_reader::matrix_reader(matrix_reader&&) noexcept = default;

std::uint64_t matrix_reader::rows() const noexcept { return impl_->rows; }
std::uint64_t matrix_reader::cols() const noexcept { return impl_->cols; }
const std::string& matrix_reader::axis_name(int axis) const noexcept { return impl_->axis[axis == 0 ? 0 : 1]; }

std::vector<double> matrix_reader::read_rows(std::uint64_t row0, std::uint64_t n) const {
    std::vector<double> out;
    read_rows(row0, n, out);
    return out;
}

void matrix_reader::read_rows(std::uint64_t row0, std::uint64_t n, std::vector<double>& into) const {
    const impl& d = *impl_;
    if (row0 > d.rows || n > d.rows - row0)
        throw internal_error(d.where + ": rows " + std::to_string(row0) + "+" + std::to_string(n) + " past the end");
    into.resize(n * d.cols);
    const h5::silence_errors quiet;
    try {
        h5::read_tile(d.dataset.get(), row0, 0, n, d.cols, into.data());
    } catch (const h5::failure& e) {
        throw input_error(d.where + ": cannot read rows " + std::to_string(row0) + ".." + std::to_string(row0 + n) +
                          ": " + e.what());
    }
}

std::vector<std::string> matrix_reader::labels(int axis) const {
    const impl& d = *impl_;
    const int a = axis == 0 ? 0 : 1;
    const std::uint64_t n = a == 0 ? d.rows : d.cols;
    if (!d.label_attr[a].empty()) {
        auto labels = split_labels(d.label_attr[a]);
        if (labels.size() != n)
            throw input_error(d.where + ": " + (a == 0 ? "row_labels" : "col_labels") + " has " +
                              std::to_string(labels.size()) + " labels for " + std::to_string(n) +
                              (a == 0 ? " rows" : " columns"));
        return labels;
    }
    const auto axis_table = child_path(parent_of(d.path), d.axis[a]);
    const h5::silence_errors quiet;
    if (h5::exists(static_cast<hid_t>(d.file->id()), axis_table) &&
        d.file->kind_of(axis_table) == stored_kind::table) {
        const table_reader t(*d.file, axis_table);
        if (t.rows() == n)
            for (std::size_t k = 0; k < t.columns().size(); ++k)
                if (t.columns()[k].name == "id" && t.columns()[k].type == column_type::string)
                    return std::move(t.read(0, n).columns[k].strings);
    }
    std::vector<std::string> positions;
    positions.reserve(n);
    for (std::uint64_t i = 0; i < n; ++i) positions.push_back(std::to_string(i));
    return positions;
}

}  // namespace tsbatch
