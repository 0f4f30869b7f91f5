#include "io/h5.hpp"

#include <H5FDmpio.h>

#include <algorithm>
#include <cstring>

#include "parallel/mpi_comm.hpp"

namespace tsbatch::h5 {
namespace {

herr_t collect_frame(unsigned n, const H5E_error2_t* e, void* client) {
    auto* out = static_cast<std::string*>(client);
    if (n > 3) return 0;  // the innermost frames say what went wrong; deeper ones are noise
    out->append(n == 0 ? ": " : "; ");
    out->append(e->desc != nullptr ? e->desc : "?");
    if (e->func_name != nullptr) out->append(" (").append(e->func_name).append(")");
    return 0;
}

std::string error_stack() {
    std::string s;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, collect_frame, &s);
    H5Eclear2(H5E_DEFAULT);
    return s;
}

dataspace simple_1d(std::uint64_t n) {
    const hsize_t d = n;
    return dataspace(check(H5Screate_simple(1, &d, nullptr), "H5Screate_simple"));
}

void select_1d(hid_t space, std::uint64_t start, std::uint64_t count) {
    if (count == 0) {
        check(H5Sselect_none(space), "H5Sselect_none");
        return;
    }
    const hsize_t s = start, c = count;
    check(H5Sselect_hyperslab(space, H5S_SELECT_SET, &s, nullptr, &c, nullptr), "H5Sselect_hyperslab");
}

}  // namespace

hid_t check(hid_t rc, const char* what) {
    if (rc < 0) throw failure(std::string(what) + error_stack());
    return rc;
}

herr_t check(herr_t rc, const char* what) {
    if (rc < 0) throw failure(std::string(what) + error_stack());
    return rc;
}

silence_errors::silence_errors() {
    H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}
silence_errors::~silence_errors() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }

file_access::file_access(const comm& c) : p_(check(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate(file access)")) {
    const MPI_Comm mc = mpi_communicator(c);
    if (mc != MPI_COMM_NULL && c.size() > 1) {
        check(H5Pset_fapl_mpio(p_.get(), mc, MPI_INFO_NULL), "H5Pset_fapl_mpio");
        // Metadata writes are collective anyway (every rank creates the same objects); doing
        // them as collective MPI-IO avoids every rank writing the same small blocks. Metadata
        // reads stay independent: ranks may open objects in different orders when they fail.
        check(H5Pset_coll_metadata_write(p_.get(), true), "H5Pset_coll_metadata_write");
        parallel_ = true;
    }
}

transfer::transfer(bool collective) : p_(check(H5Pcreate(H5P_DATASET_XFER), "H5Pcreate(transfer)")) {
    if (collective) check(H5Pset_dxpl_mpio(p_.get(), H5FD_MPIO_COLLECTIVE), "H5Pset_dxpl_mpio");
}

// Groups remember the order their members were created in, so tables list their columns
// and results their steps in the order the user wrote them.
constexpr unsigned track_order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;

file create_file(const std::string& path, const file_access& fa) {
    plist fcpl(check(H5Pcreate(H5P_FILE_CREATE), "H5Pcreate(file create)"));
    check(H5Pset_link_creation_order(fcpl.get(), track_order), "H5Pset_link_creation_order");
    return file(check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl.get(), fa.get()), "H5Fcreate"));
}

file open_file(const std::string& path, bool writable, const file_access& fa) {
    return file(check(H5Fopen(path.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fa.get()), "H5Fopen"));
}

bool exists(hid_t loc, const std::string& path) {
    if (path.empty() || path == "/") return true;
    std::string prefix = path.front() == '/' ? "" : ".";
    std::size_t pos = path.front() == '/' ? 1 : 0;
    while (pos <= path.size()) {
        const auto slash = path.find('/', pos);
        const auto part = path.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
        if (!part.empty()) {
            prefix += "/" + part;
            const htri_t e = H5Lexists(loc, prefix.c_str(), H5P_DEFAULT);
            if (e <= 0) {
                H5Eclear2(H5E_DEFAULT);
                return false;
            }
        }
        if (slash == std::string::npos) break;
        pos = slash + 1;
    }
    return true;
}

group create_group(hid_t loc, const std::string& name) {
    plist gcpl(check(H5Pcreate(H5P_GROUP_CREATE), "H5Pcreate(group create)"));
    check(H5Pset_link_creation_order(gcpl.get(), track_order), "H5Pset_link_creation_order");
    return group(check(H5Gcreate2(loc, name.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT), "H5Gcreate2"));
}

group open_group(hid_t loc, const std::string& path) {
    return group(check(H5Gopen2(loc, path.c_str(), H5P_DEFAULT), "H5Gopen2"));
}

dataset open_dataset(hid_t loc, const std::string& name) {
    return dataset(check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), ("H5Dopen2(" + name + ")").c_str()));
}

std::vector<std::string> member_names(hid_t g) {
    H5G_info_t info;
    check(H5Gget_info(g, &info), "H5Gget_info");
    // Creation order where the writer tracked it (tsbatch does), name order otherwise.
    unsigned flags = 0;
    plist gcpl(check(H5Gget_create_plist(g), "H5Gget_create_plist"));
    H5Pget_link_creation_order(gcpl.get(), &flags);
    const auto index = (flags & H5P_CRT_ORDER_INDEXED) != 0 ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
    std::vector<std::string> names;
    for (hsize_t i = 0; i < info.nlinks; ++i) {
        const ssize_t n = H5Lget_name_by_idx(g, ".", index, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
        check(static_cast<hid_t>(n), "H5Lget_name_by_idx");
        std::string s(static_cast<std::size_t>(n), '\0');
        H5Lget_name_by_idx(g, ".", index, H5_ITER_INC, i, s.data(), static_cast<std::size_t>(n) + 1, H5P_DEFAULT);
        names.push_back(std::move(s));
    }
    return names;
}

bool is_group(hid_t loc, const std::string& name) {
    H5O_info_t info;
    if (H5Oget_info_by_name(loc, name.c_str(), &info, H5P_DEFAULT) < 0) {
        H5Eclear2(H5E_DEFAULT);
        return false;
    }
    return info.type == H5O_TYPE_GROUP;
}

namespace {

void write_scalar_attr(hid_t obj, const std::string& name, hid_t type, const void* value) {
    if (H5Aexists(obj, name.c_str()) > 0) check(H5Adelete(obj, name.c_str()), "H5Adelete");
    dataspace space(check(H5Screate(H5S_SCALAR), "H5Screate"));
    attribute a(check(H5Acreate2(obj, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT), "H5Acreate2"));
    check(H5Awrite(a.get(), type, value), "H5Awrite");
}

datatype vlen_string_type() {
    datatype t(check(H5Tcopy(H5T_C_S1), "H5Tcopy"));
    check(H5Tset_size(t.get(), H5T_VARIABLE), "H5Tset_size");
    check(H5Tset_cset(t.get(), H5T_CSET_UTF8), "H5Tset_cset");
    return t;
}

std::string read_attr_text(hid_t a) {
    datatype ft(check(H5Aget_type(a), "H5Aget_type"));
    dataspace space(check(H5Aget_space(a), "H5Aget_space"));
    const auto cls = H5Tget_class(ft.get());
    const hssize_t n = H5Sget_simple_extent_npoints(space.get());
    if (cls == H5T_STRING) {
        if (H5Tis_variable_str(ft.get()) > 0) {
            auto mt = vlen_string_type();
            // HDF5 converts neither ASCII to UTF-8 nor back: read in the stored character set.
            check(H5Tset_cset(mt.get(), H5Tget_cset(ft.get())), "H5Tset_cset");
            std::vector<char*> p(static_cast<std::size_t>(n), nullptr);
            check(H5Aread(a, mt.get(), p.data()), "H5Aread");
            std::string s;
            for (auto* c : p) {
                if (!s.empty()) s += ", ";
                if (c != nullptr) s += c;
            }
            H5Dvlen_reclaim(mt.get(), space.get(), H5P_DEFAULT, p.data());
            return s;
        }
        const auto size = H5Tget_size(ft.get());
        std::string buf(size * static_cast<std::size_t>(n), '\0');
        check(H5Aread(a, ft.get(), buf.data()), "H5Aread");
        buf.erase(std::find(buf.begin(), buf.end(), '\0'), buf.end());
        return buf;
    }
    if (cls == H5T_INTEGER) {
        std::vector<long long> v(static_cast<std::size_t>(n));
        check(H5Aread(a, H5T_NATIVE_LLONG, v.data()), "H5Aread");
        std::string s;
        for (auto x : v) s += (s.empty() ? "" : ", ") + std::to_string(x);
        return s;
    }
    if (cls == H5T_FLOAT) {
        std::vector<double> v(static_cast<std::size_t>(n));
        check(H5Aread(a, H5T_NATIVE_DOUBLE, v.data()), "H5Aread");
        std::string s;
        char buf[32];
        for (auto x : v) {
            std::snprintf(buf, sizeof buf, "%.17g", x);
            s += (s.empty() ? "" : ", ") + std::string(buf);
        }
        return s;
    }
    return "(unprintable)";
}

}  // namespace

void write_attr(hid_t obj, const std::string& name, const std::string& value) {
    auto t = vlen_string_type();
    const char* p = value.c_str();
    write_scalar_attr(obj, name, t.get(), &p);
}
void write_attr(hid_t obj, const std::string& name, std::int64_t value) {
    write_scalar_attr(obj, name, H5T_STD_I64LE, &value);
}
void write_attr(hid_t obj, const std::string& name, double value) {
    write_scalar_attr(obj, name, H5T_IEEE_F64LE, &value);
}

bool has_attr(hid_t obj, const std::string& name) {
    const htri_t e = H5Aexists(obj, name.c_str());
    if (e < 0) H5Eclear2(H5E_DEFAULT);
    return e > 0;
}

std::optional<std::string> read_string_attr(hid_t obj, const std::string& name) {
    if (!has_attr(obj, name)) return std::nullopt;
    attribute a(check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), "H5Aopen"));
    datatype ft(check(H5Aget_type(a.get()), "H5Aget_type"));
    if (H5Tget_class(ft.get()) != H5T_STRING) return std::nullopt;
    return read_attr_text(a.get());
}

std::optional<std::int64_t> read_int_attr(hid_t obj, const std::string& name) {
    if (!has_attr(obj, name)) return std::nullopt;
    attribute a(check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), "H5Aopen"));
    datatype ft(check(H5Aget_type(a.get()), "H5Aget_type"));
    if (H5Tget_class(ft.get()) != H5T_INTEGER) return std::nullopt;
    dataspace space(check(H5Aget_space(a.get()), "H5Aget_space"));
    if (H5Sget_simple_extent_npoints(space.get()) != 1) return std::nullopt;
    long long v = 0;
    check(H5Aread(a.get(), H5T_NATIVE_LLONG, &v), "H5Aread");
    return v;
}

std::vector<std::pair<std::string, std::string>> all_attrs_as_text(hid_t obj) {
    std::vector<std::pair<std::string, std::string>> out;
    H5O_info_t info;
    check(H5Oget_info(obj, &info), "H5Oget_info");
    for (hsize_t i = 0; i < info.num_attrs; ++i) {
        attribute a(check(H5Aopen_by_idx(obj, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, i, H5P_DEFAULT, H5P_DEFAULT),
                          "H5Aopen_by_idx"));
        if (!a.valid()) continue;
        const ssize_t n = H5Aget_name(a.get(), 0, nullptr);
        std::string name(static_cast<std::size_t>(n), '\0');
        H5Aget_name(a.get(), static_cast<std::size_t>(n) + 1, name.data());
        out.emplace_back(name, read_attr_text(a.get()));
    }
    return out;
}

std::vector<std::uint64_t> dims(hid_t dset) {
    dataspace s(check(H5Dget_space(dset), "H5Dget_space"));
    const int rank = H5Sget_simple_extent_ndims(s.get());
    check(rank, "H5Sget_simple_extent_ndims");
    std::vector<hsize_t> d(static_cast<std::size_t>(rank));
    H5Sget_simple_extent_dims(s.get(), d.data(), nullptr);
    return {d.begin(), d.end()};
}

stored_type type_of(hid_t dset) {
    datatype t(check(H5Dget_type(dset), "H5Dget_type"));
    stored_type st;
    st.cls = H5Tget_class(t.get());
    if (st.cls == H5T_INTEGER) st.is_signed = H5Tget_sign(t.get()) == H5T_SGN_2;
    return st;
}

std::uint64_t length(hid_t dset) {
    const auto d = dims(dset);
    if (d.size() != 1) throw failure("expected a 1-D dataset, found " + std::to_string(d.size()) + " dimensions");
    return d[0];
}

namespace {

plist creation_props(int rank, const hsize_t* chunk, const layout& lay) {
    plist dcpl(check(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate(dataset create)"));
    check(H5Pset_chunk(dcpl.get(), rank, chunk), "H5Pset_chunk");
    if (lay.deflate_level > 0) {
        check(H5Pset_shuffle(dcpl.get()), "H5Pset_shuffle");
        check(H5Pset_deflate(dcpl.get(), static_cast<unsigned>(lay.deflate_level)), "H5Pset_deflate");
    }
    if (lay.fill) {
        check(H5Pset_fill_value(dcpl.get(), H5T_NATIVE_DOUBLE, &*lay.fill), "H5Pset_fill_value");
        check(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_IFSET), "H5Pset_fill_time");
    } else {
        check(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), "H5Pset_fill_time");
    }
    return dcpl;
}

}  // namespace

dataset create_1d(hid_t loc, const std::string& name, hid_t type, std::uint64_t total, const layout& lay) {
    const hsize_t d = total;
    dataspace space(check(H5Screate_simple(1, &d, nullptr), "H5Screate_simple"));
    hsize_t chunk = std::max<hsize_t>(1, std::min<hsize_t>(total, lay.chunk_elements));
    auto dcpl = creation_props(1, &chunk, lay);
    return dataset(check(H5Dcreate2(loc, name.c_str(), type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                         ("H5Dcreate2(" + name + ")").c_str()));
}

dataset create_2d(hid_t loc, const std::string& name, std::uint64_t rows, std::uint64_t cols, const layout& lay,
                  std::uint64_t chunk_rows, std::uint64_t chunk_cols) {
    const hsize_t d[2] = {rows, cols};
    dataspace space(check(H5Screate_simple(2, d, nullptr), "H5Screate_simple"));
    const hsize_t c1 = std::max<hsize_t>(1, std::min<hsize_t>(cols, chunk_cols ? chunk_cols : 4096));
    const hsize_t c0 = std::max<hsize_t>(
        1, std::min<hsize_t>(rows, chunk_rows ? chunk_rows : std::max<hsize_t>(1, lay.chunk_elements / c1)));
    const hsize_t chunk[2] = {c0, c1};
    auto dcpl = creation_props(2, chunk, lay);
    return dataset(check(H5Dcreate2(loc, name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                         ("H5Dcreate2(" + name + ")").c_str()));
}

void write_slab(hid_t dset, hid_t mem_type, std::uint64_t start, std::uint64_t count, const void* data,
                const transfer& xfer) {
    dataspace fspace(check(H5Dget_space(dset), "H5Dget_space"));
    select_1d(fspace.get(), start, count);
    auto mspace = simple_1d(count);
    if (count == 0) check(H5Sselect_none(mspace.get()), "H5Sselect_none");
    static const char dummy = 0;  // HDF5 wants a non-null buffer even for an empty selection
    check(H5Dwrite(dset, mem_type, mspace.get(), fspace.get(), xfer.get(), count == 0 ? &dummy : data), "H5Dwrite");
}

namespace {
// The file and memory spaces of a rows x cols tile at (row0, col0).
std::pair<dataspace, dataspace> tile_spaces(hid_t dset, std::uint64_t row0, std::uint64_t col0, std::uint64_t rows,
                                            std::uint64_t cols) {
    dataspace fspace(check(H5Dget_space(dset), "H5Dget_space"));
    const hsize_t start[2] = {row0, col0}, count[2] = {rows, cols};
    check(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start, nullptr, count, nullptr), "H5Sselect_hyperslab");
    dataspace mspace(check(H5Screate_simple(2, count, nullptr), "H5Screate_simple"));
    return {std::move(fspace), std::move(mspace)};
}
}  // namespace

void write_tile(hid_t dset, std::uint64_t row0, std::uint64_t col0, std::uint64_t rows, std::uint64_t cols,
                const double* data, const transfer& xfer) {
    if (rows == 0 || cols == 0) return;
    const auto [fspace, mspace] = tile_spaces(dset, row0, col0, rows, cols);
    check(H5Dwrite(dset, H5T_NATIVE_DOUBLE, mspace.get(), fspace.get(), xfer.get(), data), "H5Dwrite");
}

void read_elements(hid_t dset, hid_t mem_type, const std::vector<std::uint64_t>& indices, void* out) {
    if (indices.empty()) return;
    dataspace fspace(check(H5Dget_space(dset), "H5Dget_space"));
    const std::vector<hsize_t> coords(indices.begin(), indices.end());
    check(H5Sselect_elements(fspace.get(), H5S_SELECT_SET, coords.size(), coords.data()), "H5Sselect_elements");
    auto mspace = simple_1d(indices.size());
    check(H5Dread(dset, mem_type, mspace.get(), fspace.get(), H5P_DEFAULT, out), "H5Dread");
}

void read_tile(hid_t dset, std::uint64_t row0, std::uint64_t col0, std::uint64_t rows, std::uint64_t cols, double* out) {
    if (rows == 0 || cols == 0) return;
    const auto [fspace, mspace] = tile_spaces(dset, row0, col0, rows, cols);
    check(H5Dread(dset, H5T_NATIVE_DOUBLE, mspace.get(), fspace.get(), H5P_DEFAULT, out), "H5Dread");
}

object open_object(hid_t loc, const std::string& path) {
    return object(check(H5Oopen(loc, path.c_str(), H5P_DEFAULT), ("H5Oopen(" + path + ")").c_str()));
}

void read_slab(hid_t dset, hid_t mem_type, std::uint64_t start, std::uint64_t count, void* out) {
    if (count == 0) return;
    dataspace fspace(check(H5Dget_space(dset), "H5Dget_space"));
    select_1d(fspace.get(), start, count);
    auto mspace = simple_1d(count);
    check(H5Dread(dset, mem_type, mspace.get(), fspace.get(), H5P_DEFAULT, out), "H5Dread");
}

datatype fixed_string_type(std::size_t size) {
    datatype t(check(H5Tcopy(H5T_C_S1), "H5Tcopy"));
    check(H5Tset_size(t.get(), std::max<std::size_t>(1, size)), "H5Tset_size");
    check(H5Tset_strpad(t.get(), H5T_STR_NULLPAD), "H5Tset_strpad");
    check(H5Tset_cset(t.get(), H5T_CSET_UTF8), "H5Tset_cset");
    return t;
}

void write_strings(hid_t dset, std::size_t width, std::uint64_t start, const std::vector<std::string>& v,
                   const transfer& xfer) {
    width = std::max<std::size_t>(1, width);
    std::vector<char> buf(v.size() * width, '\0');
    for (std::size_t i = 0; i < v.size(); ++i) std::memcpy(buf.data() + i * width, v[i].data(), std::min(width, v[i].size()));
    auto t = fixed_string_type(width);
    write_slab(dset, t.get(), start, v.size(), buf.data(), xfer);
}

std::vector<std::string> read_strings(hid_t dset, std::uint64_t start, std::uint64_t count) {
    std::vector<std::string> out;
    if (count == 0) return out;
    datatype ft(check(H5Dget_type(dset), "H5Dget_type"));
    if (H5Tget_class(ft.get()) != H5T_STRING) throw failure("dataset is not a string dataset");
    // Read in the file's own character set: HDF5 refuses ASCII <-> UTF-8 conversion, and
    // other writers (h5py's "S" arrays) store ASCII.
    const auto cset = H5Tget_cset(ft.get());
    out.reserve(count);
    if (H5Tis_variable_str(ft.get()) > 0) {
        auto mt = vlen_string_type();
        check(H5Tset_cset(mt.get(), cset), "H5Tset_cset");
        std::vector<char*> p(count, nullptr);
        read_slab(dset, mt.get(), start, count, p.data());
        for (auto* c : p) out.emplace_back(c != nullptr ? c : "");
        auto mspace = simple_1d(count);
        H5Dvlen_reclaim(mt.get(), mspace.get(), H5P_DEFAULT, p.data());
        return out;
    }
    const std::size_t width = H5Tget_size(ft.get());
    const bool space_padded = H5Tget_strpad(ft.get()) == H5T_STR_SPACEPAD;
    datatype mt(check(H5Tcopy(ft.get()), "H5Tcopy"));
    std::vector<char> buf(count * width);
    read_slab(dset, mt.get(), start, count, buf.data());
    for (std::size_t i = 0; i < count; ++i) {
        const char* b = buf.data() + i * width;
        std::size_t n = strnlen(b, width);
        if (space_padded)
            while (n > 0 && b[n - 1] == ' ') --n;
        out.emplace_back(b, n);
    }
    return out;
}

std::string library_version() {
    unsigned maj = 0, min = 0, rel = 0;
    H5get_libversion(&maj, &min, &rel);
    return std::to_string(maj) + "." + std::to_string(min) + "." + std::to_string(rel);
}

}  // namespace tsbatch::h5
