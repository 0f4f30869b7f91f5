#include "fixtures_dir.hpp"

#ifndef TSBATCH_FIXTURES_DIR
#error "TSBATCH_FIXTURES_DIR must be defined (tests/CMakeLists.txt does)"
#endif

namespace tsbatch::test {

const std::filesystem::path& fixtures_dir() {
    static const std::filesystem::path dir = TSBATCH_FIXTURES_DIR;
    return dir;
}

}  // namespace tsbatch::test
