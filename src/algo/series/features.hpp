#pragma once
// `features`: one table row per series with the catch22 features (set: catch22) or catch24's
// (set: catch24: the 22 and the mean and std of the raw values), computed by
// algo/kernels/catch22.hpp, and a `reason` column saying why a row has none.
#include <vector>

#include "core/enum_names.hpp"
#include "core/table.hpp"

namespace tsbatch {

enum class feature_set { catch22, catch24 };
inline constexpr std::array feature_set_names{"catch22", "catch24"};  // enum order

/// The columns of the `features` table for `set`, in output order.
std::vector<column_spec> features_columns(feature_set set);

}  // namespace tsbatch
