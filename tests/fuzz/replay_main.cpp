// Runs a fuzz target's LLVMFuzzerTestOneInput once on each file named on the command line, or on
// every file under each directory named, in sorted order. Built with the normal compiler as
// replay_<name>, it replays the seed corpus and every past crash in the test suite, under
// ASan + UBSan in the sanitizer build, without needing Clang or libFuzzer.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

std::vector<fs::path> inputs(int argc, char** argv) {
    std::vector<fs::path> files;
    for (int i = 1; i < argc; ++i) {
        const fs::path arg = argv[i];
        std::error_code ec;
        if (fs::is_directory(arg, ec)) {
            std::vector<fs::path> found;
            for (const auto& entry : fs::recursive_directory_iterator(arg))
                if (entry.is_regular_file()) found.push_back(entry.path());
            std::sort(found.begin(), found.end());  // the same order on every file system
            files.insert(files.end(), found.begin(), found.end());
        } else if (fs::is_regular_file(arg, ec)) {
            files.push_back(arg);
        } else {
            throw std::runtime_error("no such file or directory: " + arg.string());
        }
    }
    return files;
}

// An exactly sized heap copy, so that ASan reports any read past the end of the input.
void replay(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    const std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (!in.eof() && in.fail()) throw std::runtime_error("cannot read " + file.string());
    const auto data = std::make_unique<std::uint8_t[]>(bytes.size());
    std::copy(bytes.begin(), bytes.end(), data.get());
    LLVMFuzzerTestOneInput(data.get(), bytes.size());
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::vector<fs::path> files = inputs(argc, argv);
        for (const fs::path& file : files) {
            // Printed before running, so a crash report follows the name of its input.
            std::fprintf(stderr, "replay: %s\n", file.c_str());
            replay(file);
        }
        std::printf("replayed %zu inputs\n", files.size());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "replay: %s\n", e.what());
        return 2;
    }
}
