#pragma once
// What a function printed to a FILE*, as a string: the summary, dry-run and progress printers
// write to a FILE* so that tests can read them back.
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

namespace tsbatch::test {

/// A tmpfile() to print to, read back as a string.
class captured_file {
public:
    captured_file() : f_(std::tmpfile(), &std::fclose) {}
    std::FILE* get() const { return f_.get(); }
    std::string text() const {
        std::fflush(f_.get());
        std::rewind(f_.get());
        std::string s;
        char buf[4096];
        std::size_t n = 0;
        while ((n = std::fread(buf, 1, sizeof buf, f_.get())) > 0) s.append(buf, n);
        return s;
    }

private:
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f_;
};

/// What `print` wrote to the FILE* it was given.
inline std::string printed(const std::function<void(std::FILE*)>& print) {
    captured_file f;
    print(f.get());
    return f.text();
}

}  // namespace tsbatch::test
