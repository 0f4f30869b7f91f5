#include "parallel/comm.hpp"

namespace tsbatch {
namespace {

class local_comm final : public comm_impl {
public:
    int rank() const override { return 0; }
    int size() const override { return 1; }
    void barrier() const override {}
    void broadcast(std::vector<std::byte>&, int) const override {}
    std::vector<std::byte> allgatherv(std::span<const std::byte> local, std::vector<std::size_t>& counts) const override {
        counts.assign(1, local.size());
        return {local.begin(), local.end()};
    }
    std::int64_t max(std::int64_t v) const override { return v; }
    std::uint64_t sum(std::uint64_t v) const override { return v; }
    std::vector<std::vector<std::byte>> alltoallv(std::vector<std::vector<std::byte>> send) const override {
        return send;
    }
};

}  // namespace

std::unique_ptr<comm_impl> make_local_comm() { return std::make_unique<local_comm>(); }

comm::comm() : impl_(make_local_comm()) {}
comm::comm(std::unique_ptr<comm_impl> impl) : impl_(std::move(impl)) {}
comm::~comm() = default;

std::string comm::broadcast(const std::string& text, int root) const {
    const auto chars = broadcast(std::span<const char>(text), root);
    return std::string(chars.begin(), chars.end());
}

std::vector<std::string> comm::allgather_strings(const std::vector<std::string>& local) const {
    // Pack as [u64 length][bytes]... so one allgatherv moves everything.
    std::vector<std::byte> packed;
    for (const auto& s : local) {
        const std::uint64_t n = s.size();
        const auto* p = reinterpret_cast<const std::byte*>(&n);
        packed.insert(packed.end(), p, p + sizeof n);
        const auto* q = reinterpret_cast<const std::byte*>(s.data());
        packed.insert(packed.end(), q, q + s.size());
    }
    std::vector<std::size_t> counts;
    const auto all = impl_->allgatherv(packed, counts);
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < all.size()) {
        std::uint64_t n = 0;
        std::memcpy(&n, all.data() + pos, sizeof n);
        pos += sizeof n;
        out.emplace_back(reinterpret_cast<const char*>(all.data() + pos), n);
        pos += n;
    }
    return out;
}

}  // namespace tsbatch
