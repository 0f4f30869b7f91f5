#pragma once
// An operator's parameters, declared once. Each declaration names a parameter, says where its
// value lives in the operator's typed parameter struct P, and carries the schema `tsbatch
// catalogue` prints and the config validator checks. The default is the value of the field in
// a default-constructed P, so it cannot disagree with the struct; `required()` or
// `derived("...")` say otherwise. Choices are the names of an enum, listed in enum order next
// to it.
//
//     // slope.hpp: struct slope_params { std::int64_t per = 1000;
//     //                                  static const param_fields<slope_params>& fields(); };
//     const param_fields<slope_params>& slope_params::fields() {
//         static const auto f = param_fields<slope_params>(check_slope_params)
//             .duration("per", &slope_params::per, "the output is value change per this duration")
//             .above(0);
//         return f;
//     }
//     d.params = slope_params::fields().specs();               // the schema
//     slope_params p = slope_params::fields().read(values);    // the typed, checked values
//
// read() is the one place that turns validated values into fields: a value of the wrong
// type, a missing required parameter or one out of its declared range is a param_error
// naming it, so operators never re-check what the schema says.
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "algo/params.hpp"

namespace tsbatch {

namespace detail {

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

// Stores a validated value into a field of type T (or std::optional<T>).
template <class T>
void store_param(T& field, const param_value& v) {
    if constexpr (is_optional<T>::value) {
        typename T::value_type inner{};
        store_param(inner, v);
        field = inner;
    } else if constexpr (std::is_same_v<T, bool>) {
        field = std::get<bool>(v);
    } else if constexpr (std::is_integral_v<T>) {
        field = static_cast<T>(std::get<std::int64_t>(v));
    } else if constexpr (std::is_floating_point_v<T>) {
        field = std::get<double>(v);
    } else {
        static_assert(std::is_same_v<T, std::string>, "parameter fields are bool, integers, double or std::string");
        field = std::get<std::string>(v);
    }
}

// The param_value a field's default reads as.
template <class T>
param_value param_value_of(const T& field) {
    if constexpr (std::is_same_v<T, bool>)
        return field;
    else if constexpr (std::is_integral_v<T>)
        return static_cast<std::int64_t>(field);
    else if constexpr (std::is_floating_point_v<T>)
        return static_cast<double>(field);
    else
        return std::string(field);
}

}  // namespace detail

template <class P>
class param_fields {
public:
    using setter = std::function<void(P&, const param_value&)>;
    using checker = void (*)(const P&);

    /// `check`, when given, tests the constraints between parameters after every value is
    /// stored (read() calls it; it throws param_error naming a parameter).
    explicit param_fields(checker check = nullptr) : check_(check) {}

    // `field` is a data member pointer (&P::period) or a callable returning a reference to
    // the value inside P ([](P& p) -> double& { return p.inner.band; }).

    /// An integer stored in `field` (any integral type).
    template <class F>
    param_fields& integer(std::string name, F field, std::string summary) {
        return add_field(param_type::integer, std::move(name), field, std::move(summary));
    }
    /// A number stored in `field`.
    template <class F>
    param_fields& number(std::string name, F field, std::string summary) {
        return add_field(param_type::number, std::move(name), field, std::move(summary));
    }
    /// A boolean stored in `field`.
    template <class F>
    param_fields& boolean(std::string name, F field, std::string summary) {
        return add_field(param_type::boolean, std::move(name), field, std::move(summary));
    }
    /// A duration (int64 ms) stored in `field`.
    template <class F>
    param_fields& duration(std::string name, F field, std::string summary) {
        return add_field(param_type::duration, std::move(name), field, std::move(summary));
    }
    /// A timestamp (int64 ms since the epoch) stored in `field`.
    template <class F>
    param_fields& timestamp(std::string name, F field, std::string summary) {
        return add_field(param_type::timestamp, std::move(name), field, std::move(summary));
    }
    /// A string stored in `field`.
    template <class F>
    param_fields& string(std::string name, F field, std::string summary) {
        return add_field(param_type::string, std::move(name), field, std::move(summary));
    }
    /// One of `names` (the enum's names in enum order), stored in `field` as the enum.
    template <class F, std::size_t N>
    param_fields& choice(std::string name, F field, const std::array<const char*, N>& names, std::string summary) {
        using E = field_type<F>;
        param_spec s;
        s.name = std::move(name);
        s.type = param_type::choice;
        s.summary = std::move(summary);
        s.choices.assign(names.begin(), names.end());
        P defaults{};
        const auto def = static_cast<std::size_t>(std::invoke(field, defaults));
        s.default_text = s.choices.at(def);
        s.default_value = param_value(s.default_text);
        return add(std::move(s), [field, names](P& p, const param_value& v) {
            const auto& text = std::get<std::string>(v);
            for (std::size_t k = 0; k < N; ++k)
                if (text == names[k]) std::invoke(field, p) = static_cast<E>(k);
        });
    }
    /// A parameter read by `set` (a value that needs its own parsing, e.g. a window written
    /// as points or as a duration). Without `required()` or `derived()` it has no default
    /// and is required.
    param_fields& custom(param_type type, std::string name, std::string summary, setter set) {
        param_spec s;
        s.name = std::move(name);
        s.type = type;
        s.summary = std::move(summary);
        return add(std::move(s), std::move(set));
    }

    // Modifiers of the parameter declared last.

    /// No default: the parameter must be given.
    param_fields& required() {
        last().default_value.reset();
        last().default_text.clear();
        return *this;
    }
    /// The default depends on other values (or on the data); `text` says how it reads.
    param_fields& derived(std::string text) {
        last().default_value.reset();
        last().default_text = std::move(text);
        return *this;
    }
    /// The default of a custom parameter, as the value it is written as.
    param_fields& defaults_to(param_value v) {
        last().default_text = default_text_of(last(), v);
        last().default_value = std::move(v);
        return *this;
    }
    /// Inclusive lower bound.
    param_fields& min(double bound) {
        last().min = bound;
        last().min_exclusive = false;
        return *this;
    }
    /// Exclusive lower bound.
    param_fields& above(double bound) {
        last().min = bound;
        last().min_exclusive = true;
        return *this;
    }
    /// Inclusive upper bound.
    param_fields& max(double bound) {
        last().max = bound;
        return *this;
    }
    /// The unit the catalogue shows.
    param_fields& unit(std::string text) {
        last().unit = std::move(text);
        return *this;
    }

    /// The schema, in declaration order.
    std::vector<param_spec> specs() const {
        std::vector<param_spec> out;
        out.reserve(fields_.size());
        for (const auto& f : fields_) out.push_back(f.spec);
        return out;
    }

    /// The typed parameters: P{} with every given value stored. Throws param_error for a
    /// missing required parameter, a value of the wrong type or one out of range.
    P read(const param_values& values) const {
        P p{};
        for (const auto& f : fields_) {
            const auto it = values.all().find(f.spec.name);
            if (it == values.all().end()) {
                if (f.spec.required()) throw param_error(f.spec.name, "is required");
                continue;
            }
            check_param_value(f.spec, it->second);
            try {
                f.set(p, it->second);
            } catch (const std::bad_variant_access&) {
                throw param_error(f.spec.name, "has the wrong type");
            }
        }
        if (check_ != nullptr) check_(p);
        return p;
    }

private:
    struct entry {
        param_spec spec;
        setter set;
    };

    template <class F>
    using field_type = std::remove_cvref_t<std::invoke_result_t<F, P&>>;

    template <class F>
    param_fields& add_field(param_type type, std::string name, F field, std::string summary) {
        using T = field_type<F>;
        param_spec s;
        s.name = std::move(name);
        s.type = type;
        s.summary = std::move(summary);
        if constexpr (!detail::is_optional<T>::value) {
            P defaults{};
            s.default_value = detail::param_value_of(std::invoke(field, defaults));
            s.default_text = default_text_of(s, *s.default_value);
        }
        return add(std::move(s),
                   [field](P& p, const param_value& v) { detail::store_param(std::invoke(field, p), v); });
    }

    static std::string default_text_of(const param_spec& s, const param_value& v) {
        if (s.type == param_type::string && std::get<std::string>(v).empty()) return "\"\"";
        return format_param(s, v);
    }

    param_fields& add(param_spec spec, setter set) {
        fields_.push_back({std::move(spec), std::move(set)});
        return *this;
    }

    param_spec& last() { return fields_.back().spec; }

    std::vector<entry> fields_;
    checker check_ = nullptr;
};

}  // namespace tsbatch
