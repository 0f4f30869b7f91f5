#pragma once
// Where tests/fixtures/ is. The path is compiled into one translation unit only
// (fixtures_dir.cpp): an absolute path on every test file's command line would make each of
// them a compiler-cache miss in every fresh clone.
#include <filesystem>

namespace tsbatch::test {

const std::filesystem::path& fixtures_dir();

}  // namespace tsbatch::test
