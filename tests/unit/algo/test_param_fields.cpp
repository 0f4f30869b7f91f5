// param_fields: one declaration gives the schema and fills the struct.
#include "algo/param_fields.hpp"

#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <string>

namespace tsbatch {
namespace {

enum class colour { red, green, blue };
inline constexpr std::array colour_names{"red", "green", "blue"};

struct inner {
    double band = 0.25;
};

struct sample_params {
    std::int64_t count = 3;
    int small = 1;
    double ratio = 0.5;
    bool on = true;
    std::int64_t period = 60'000;
    std::optional<std::int64_t> from;
    std::string label = "x";
    colour hue = colour::green;
    inner nested;
    std::string parsed;
};

const param_fields<sample_params>& sample_fields() {
    using P = sample_params;
    static const param_fields<P> fields =
        param_fields<P>()
            .integer("count", &P::count, "how many")
            .min(1)
            .max(10)
            .integer("small", &P::small, "an int field")
            .number("ratio", &P::ratio, "a ratio")
            .above(0)
            .boolean("on", &P::on, "a switch")
            .duration("period", &P::period, "a duration")
            .unit("ms")
            .timestamp("from", &P::from, "an optional instant")
            .derived("the first point")
            .string("label", &P::label, "a text")
            .choice("hue", &P::hue, colour_names, "a colour")
            .number("band", [](P& p) -> auto& { return p.nested.band; }, "a nested field")
            .custom(param_type::string, "parsed", "parsed by hand",
                    [](P& p, const param_value& v) { p.parsed = "<" + std::get<std::string>(v) + ">"; })
            .defaults_to(std::string("d"))
            .integer("needed", &P::count, "a required one, stored in count too")
            .required();
    return fields;
}

const param_spec& spec_named(const std::string& name) {
    static const auto specs = sample_fields().specs();
    for (const auto& s : specs)
        if (s.name == name) return s;
    throw std::out_of_range(name);
}

TEST(ParamFields, SchemaTakesDefaultsFromTheStruct) {
    const auto specs = sample_fields().specs();
    ASSERT_EQ(specs.size(), 11u);
    EXPECT_EQ(specs[0].name, "count");  // declaration order
    EXPECT_EQ(spec_named("count").default_text, "3");
    EXPECT_EQ(std::get<std::int64_t>(*spec_named("count").default_value), 3);
    EXPECT_EQ(*spec_named("count").min, 1.0);
    EXPECT_FALSE(spec_named("count").min_exclusive);
    EXPECT_EQ(*spec_named("count").max, 10.0);
    EXPECT_EQ(std::get<std::int64_t>(*spec_named("small").default_value), 1);
    EXPECT_EQ(spec_named("ratio").default_text, "0.5");
    EXPECT_TRUE(spec_named("ratio").min_exclusive);
    EXPECT_EQ(spec_named("on").default_text, "true");
    EXPECT_EQ(spec_named("period").default_text, "1min");
    EXPECT_EQ(spec_named("period").unit, "ms");
    EXPECT_EQ(spec_named("period").type, param_type::duration);
    EXPECT_FALSE(spec_named("from").default_value);
    EXPECT_EQ(spec_named("from").default_text, "the first point");
    EXPECT_FALSE(spec_named("from").required());
    EXPECT_EQ(spec_named("label").default_text, "x");
    EXPECT_EQ(spec_named("hue").type, param_type::choice);
    EXPECT_EQ(spec_named("hue").choices, (std::vector<std::string>{"red", "green", "blue"}));
    EXPECT_EQ(spec_named("hue").default_text, "green");
    EXPECT_EQ(spec_named("band").default_text, "0.25");
    EXPECT_EQ(spec_named("parsed").default_text, "d");
    EXPECT_TRUE(spec_named("needed").required());
}

TEST(ParamFields, ReadFillsTheStruct) {
    param_values v;
    v.set("needed", std::int64_t{7});
    v.set("small", std::int64_t{-4});
    v.set("ratio", 2.5);
    v.set("on", false);
    v.set("period", std::int64_t{5000});
    v.set("from", std::int64_t{-1});
    v.set("label", std::string("y"));
    v.set("hue", std::string("blue"));
    v.set("band", 0.75);
    v.set("parsed", std::string("p"));
    const sample_params p = sample_fields().read(v);
    EXPECT_EQ(p.count, 7);  // "needed" is declared after "count" and wins
    EXPECT_EQ(p.small, -4);
    EXPECT_EQ(p.ratio, 2.5);
    EXPECT_FALSE(p.on);
    EXPECT_EQ(p.period, 5000);
    EXPECT_EQ(p.from, -1);
    EXPECT_EQ(p.label, "y");
    EXPECT_EQ(p.hue, colour::blue);
    EXPECT_EQ(p.nested.band, 0.75);
    EXPECT_EQ(p.parsed, "<p>");
}

TEST(ParamFields, AbsentValuesKeepTheStructDefaults) {
    param_values v;
    v.set("needed", std::int64_t{2});
    const sample_params p = sample_fields().read(v);
    EXPECT_EQ(p.ratio, 0.5);
    EXPECT_FALSE(p.from);
    EXPECT_EQ(p.hue, colour::green);
    EXPECT_EQ(p.parsed, "");  // a custom setter runs only for a given value
}

template <class V>
std::string read_error(const std::string& name, V value, std::string* param = nullptr) {
    param_values v;
    v.set("needed", std::int64_t{1});
    v.set(name, param_value(std::move(value)));
    try {
        (void)sample_fields().read(v);
    } catch (const param_error& e) {
        if (param) *param = e.param();
        return e.what();
    }
    return "accepted";
}

TEST(ParamFields, ReadReportsTheParameter) {
    std::string param;
    EXPECT_EQ(read_error("count", std::int64_t{11}, &param), "must be <= 10, got 11");
    EXPECT_EQ(param, "count");
    EXPECT_EQ(read_error("count", std::int64_t{0}), "must be >= 1, got 0");
    EXPECT_EQ(read_error("ratio", 0.0), "must be > 0, got 0");
    EXPECT_EQ(read_error("hue", std::string("pink"), &param), "must be one of {red, green, blue}, got 'pink'");
    EXPECT_EQ(param, "hue");
    EXPECT_EQ(read_error("ratio", std::string("high"), &param), "has the wrong type");
    EXPECT_EQ(param, "ratio");
    EXPECT_EQ(read_error("on", std::int64_t{1}), "has the wrong type");
    param_values none;
    try {
        (void)sample_fields().read(none);
        ADD_FAILURE() << "a missing required parameter was accepted";
    } catch (const param_error& e) {
        EXPECT_EQ(e.param(), "needed");
        EXPECT_STREQ(e.what(), "is required");
    }
}

TEST(ParamFields, ParsedTextAndReadAgree) {
    // What the config validator parses from text is what read() stores.
    param_values v;
    v.set("needed", std::int64_t{1});
    v.set("period", parse_param(spec_named("period"), "PT15M"));
    v.set("hue", parse_param(spec_named("hue"), "red"));
    const sample_params p = sample_fields().read(v);
    EXPECT_EQ(p.period, 900'000);
    EXPECT_EQ(p.hue, colour::red);
    EXPECT_THROW((void)parse_param(spec_named("count"), "11"), param_error);
}

}  // namespace
}  // namespace tsbatch
