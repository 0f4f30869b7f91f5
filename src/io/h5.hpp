#pragma once
// tsbatch's thin RAII layer over the HDF5 C API. One move-only handle per hid_t kind with a
// noexcept close; every C call is checked and a failure throws h5::failure with HDF5's own
// error stack in the message. Callers (staged reader/writer) turn failures into input_error
// or output_error naming the file, because only they know which the user should fix.
#include <hdf5.h>

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "parallel/comm.hpp"

namespace tsbatch::h5 {

class failure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Throws failure("what: <HDF5 error stack>") when `rc` is negative; returns rc otherwise.
hid_t check(hid_t rc, const char* what);
herr_t check(herr_t rc, const char* what);

/// Mutes HDF5's automatic printing of error stacks for its lifetime (we report them ourselves).
class silence_errors {
public:
    silence_errors();
    ~silence_errors();
    silence_errors(const silence_errors&) = delete;
    silence_errors& operator=(const silence_errors&) = delete;

private:
    H5E_auto2_t func_ = nullptr;
    void* data_ = nullptr;
};

template <herr_t (*Close)(hid_t)>
class handle {
public:
    handle() = default;
    explicit handle(hid_t id) : id_(id) {}
    handle(handle&& o) noexcept : id_(o.id_) { o.id_ = H5I_INVALID_HID; }
    handle& operator=(handle&& o) noexcept {
        if (this != &o) {
            reset();
            id_ = o.id_;
            o.id_ = H5I_INVALID_HID;
        }
        return *this;
    }
    handle(const handle&) = delete;
    handle& operator=(const handle&) = delete;
    ~handle() { reset(); }

    hid_t get() const noexcept { return id_; }
    bool valid() const noexcept { return id_ >= 0; }
    void reset() noexcept {
        if (id_ >= 0) Close(id_);
        id_ = H5I_INVALID_HID;
    }
    /// Closes now and reports a failure (a file close flushes data, so it can fail).
    void close(const char* what) {
        const hid_t id = id_;
        id_ = H5I_INVALID_HID;
        if (id >= 0) check(Close(id), what);
    }

private:
    hid_t id_ = H5I_INVALID_HID;
};

using file = handle<H5Fclose>;
using group = handle<H5Gclose>;
using dataset = handle<H5Dclose>;
using dataspace = handle<H5Sclose>;
using datatype = handle<H5Tclose>;
using attribute = handle<H5Aclose>;
using plist = handle<H5Pclose>;
using object = handle<H5Oclose>;

/// File-access properties: the MPI-IO driver when `c` is an MPI comm of more than one rank,
/// HDF5's default POSIX driver otherwise.
class file_access {
public:
    explicit file_access(const comm& c);
    hid_t get() const noexcept { return p_.get(); }
    bool parallel() const noexcept { return parallel_; }

private:
    plist p_;
    bool parallel_ = false;
};

/// Data-transfer properties: collective MPI-IO when the file is parallel.
class transfer {
public:
    explicit transfer(bool collective);
    hid_t get() const noexcept { return p_.get(); }

private:
    plist p_;
};

/// Dataset-creation settings (DESIGN §3: chunked, compression optional).
struct layout {
    std::uint64_t chunk_elements = 1u << 20;
    int deflate_level = 0;  ///< 0 = no compression; otherwise shuffle + deflate(level)
    /// Set: what every element reads as until written. A serial file stores no chunk left
    /// unwritten; a parallel one allocates every chunk at creation and writes this value there.
    /// Unset: nothing is ever filled (every element is written, and filling would double the
    /// write traffic).
    std::optional<double> fill;
};

file create_file(const std::string& path, const file_access& fa);
file open_file(const std::string& path, bool writable, const file_access& fa);

bool exists(hid_t loc, const std::string& path);  ///< every component of a/b/c checked
group create_group(hid_t loc, const std::string& name);
group open_group(hid_t loc, const std::string& path);
dataset open_dataset(hid_t loc, const std::string& name);
std::vector<std::string> member_names(hid_t group);
bool is_group(hid_t loc, const std::string& name);

// Attributes (scalars). Strings are variable-length UTF-8 so h5py reads them as str.
void write_attr(hid_t obj, const std::string& name, const std::string& value);
void write_attr(hid_t obj, const std::string& name, std::int64_t value);
void write_attr(hid_t obj, const std::string& name, double value);
bool has_attr(hid_t obj, const std::string& name);
std::optional<std::string> read_string_attr(hid_t obj, const std::string& name);
std::optional<std::int64_t> read_int_attr(hid_t obj, const std::string& name);
/// Every attribute rendered as text, in creation order (for `tsbatch inspect`).
std::vector<std::pair<std::string, std::string>> all_attrs_as_text(hid_t obj);

/// The class (integer, float, string, ...) and signedness of a dataset's stored type.
struct stored_type {
    H5T_class_t cls = H5T_NO_CLASS;
    bool is_signed = false;
};
stored_type type_of(hid_t dset);

/// Number of elements of a 1-D dataset (throws for other ranks).
std::uint64_t length(hid_t dset);
std::vector<std::uint64_t> dims(hid_t dset);

enum class element { int64, uint64, float64 };

/// Creates a 1-D dataset of `total` elements. Collective on a parallel file.
dataset create_1d(hid_t loc, const std::string& name, hid_t type, std::uint64_t total, const layout& lay);
/// Creates a 2-D float64 dataset; chunks of chunk_rows x chunk_cols when given (non-zero),
/// else about lay.chunk_elements in rows of up to 4096 columns.
dataset create_2d(hid_t loc, const std::string& name, std::uint64_t rows, std::uint64_t cols, const layout& lay,
                  std::uint64_t chunk_rows = 0, std::uint64_t chunk_cols = 0);

/// Writes `count` elements of memory type `mem_type` at [start, start+count) (count may be 0;
/// every rank must call it on a parallel file).
void write_slab(hid_t dset, hid_t mem_type, std::uint64_t start, std::uint64_t count, const void* data,
                const transfer& xfer);
/// Writes a rows x cols tile of doubles (row-major) at (row0, col0) of a 2-D float64 dataset.
void write_tile(hid_t dset, std::uint64_t row0, std::uint64_t col0, std::uint64_t rows, std::uint64_t cols,
                const double* data, const transfer& xfer);
/// Reads the elements at `indices` (any order) of a 1-D dataset into `out` (indices.size()
/// elements of mem_type): one read for scattered elements.
void read_elements(hid_t dset, hid_t mem_type, const std::vector<std::uint64_t>& indices, void* out);
/// Reads a rows x cols tile of doubles (row-major) at (row0, col0) of a 2-D dataset.
void read_tile(hid_t dset, std::uint64_t row0, std::uint64_t col0, std::uint64_t rows, std::uint64_t cols, double* out);
/// Opens any object (group or dataset) by path.
object open_object(hid_t loc, const std::string& path);
/// Reads [start, start+count) into `out` (which holds count elements of mem_type).
void read_slab(hid_t dset, hid_t mem_type, std::uint64_t start, std::uint64_t count, void* out);

/// A fixed-length UTF-8 string type of `size` bytes (null-padded).
datatype fixed_string_type(std::size_t size);
/// Writes strings as fixed-length of `width` bytes at rows [start, start+v.size()).
void write_strings(hid_t dset, std::size_t width, std::uint64_t start, const std::vector<std::string>& v,
                   const transfer& xfer);
/// Reads rows [start, start+count) of a string dataset, fixed- or variable-length.
std::vector<std::string> read_strings(hid_t dset, std::uint64_t start, std::uint64_t count);

std::string library_version();

}  // namespace tsbatch::h5
