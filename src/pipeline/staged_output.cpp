#include "pipeline/staged_output.hpp"

#include <cstdio>
#include <optional>

#include "build_info.hpp"
#include "parallel/agreement.hpp"
#include "pipeline/collective.hpp"

namespace tsbatch {

void remove_abandoned_output(const comm& c, const std::string& path) {
    if (!c.is_root()) return;
    for (const auto& f : remove_abandoned_temp_files(path))
        std::fprintf(stderr,
                     "tsbatch: removed %s: the unfinished output of process %ld on this host, which ended before "
                     "finishing it\n",
                     f.path.c_str(), f.pid);
}

void write_staged_file(const comm& c, const std::string& path, const series_batch& local,
                       const std::string& compression, const std::function<void(staged_writer&)>& annotate) {
    remove_abandoned_output(c, path);
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
