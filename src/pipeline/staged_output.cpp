#include "pipeline/staged_output.hpp"

#include <optional>

#include "build_info.hpp"
#include "parallel/agreement.hpp"
#include "pipeline/collective.hpp"

namespace tsbatch {

void write_staged_file(const comm& c, const std::string& path, const series_batch& local, const std::string& compression,
                       const std::function<void(staged_writer&)>& annotate) {
    write_options wo;
    wo.deflate_level = compression == "deflate" ? 4 : 0;
    std::optional<staged_writer> out;
    agreed_phase(c, [&] { out.emplace(c, path, wo); });
    collective_section(c, [&] {
        out->write_collection("/", local);
        out->set_attr("/", "tsbatch_version", std::string(TSBATCH_VERSION));
        annotate(*out);
        out->commit();
    });
}

}  // namespace tsbatch
