#pragma once
// An enum's names as one array beside the enum, in enum order, instead of a switch per enum:
// the same array serves to_string, the parameter choices and the reading of names.
#include <array>
#include <cstddef>

namespace tsbatch {

/// The name of `v` in `names` (listed in enum order), or `fallback` for a value outside it.
template <class E, std::size_t N>
constexpr const char* enum_name(E v, const std::array<const char*, N>& names, const char* fallback = "?") noexcept {
    const auto i = static_cast<std::size_t>(v);
    return i < N ? names[i] : fallback;
}

}  // namespace tsbatch
