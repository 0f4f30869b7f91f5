#include "report/run_report.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../../report/synthetic_report.hpp"
#include "core/error.hpp"
#include "core/temp_file.hpp"
#include "core/time.hpp"
#include "ended_process.hpp"

namespace tsbatch {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// ---------------------------------------------------------------------------------------
// A small structural checker for the markup the report emits: every element opened is
// closed in order (HTML void elements and SVG `/>` excepted), attribute values are quoted,
// '<' and '&' in text start a tag or an entity, and geometry attributes are finite numbers.
// Returns an empty string when the page passes, else what is wrong and where.

bool is_void_element(const std::string& name) {
    static const std::set<std::string> v{"area",  "base", "br",   "col",    "embed", "hr", "img",
                                         "input", "link", "meta", "source", "track", "wbr"};
    return v.count(name) > 0;
}

bool is_numeric_attribute(const std::string& name) {
    static const std::set<std::string> v{"x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "width", "height"};
    return v.count(name) > 0;
}

std::string at(std::string_view html, std::size_t i, const std::string& what) {
    return what + " at offset " + std::to_string(i) + ": '" + std::string(html.substr(i, 60)) + "'";
}

class markup_checker {
public:
    explicit markup_checker(std::string_view html) : s_(html) {}

    std::string run() {
        while (i_ < s_.size()) {
            const char c = s_[i_];
            std::string err = c == '<' ? tag() : c == '&' ? entity() : "";
            if (!err.empty()) return err;
            if (c != '<' && c != '&') ++i_;
        }
        if (!stack_.empty()) return "unclosed <" + stack_.back() + "> at the end";
        return elements_ > 0 ? "" : "no element";
    }

private:
    std::string entity() {
        std::size_t j = i_ + 1;
        if (j < s_.size() && s_[j] == '#') {
            ++j;
            while (j < s_.size() && std::isdigit(static_cast<unsigned char>(s_[j])) != 0) ++j;
        } else {
            while (j < s_.size() && std::isalpha(static_cast<unsigned char>(s_[j])) != 0) ++j;
        }
        if (j == i_ + 1 || j >= s_.size() || s_[j] != ';') return at(s_, i_, "bare '&'");
        i_ = j + 1;
        return "";
    }

    std::string name_at(std::size_t& j) const {
        std::string n;
        while (j < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[j])) != 0 || s_[j] == '-' || s_[j] == ':'))
            n += static_cast<char>(std::tolower(static_cast<unsigned char>(s_[j++])));
        return n;
    }

    void skip_space(std::size_t& j) const {
        while (j < s_.size() && std::isspace(static_cast<unsigned char>(s_[j])) != 0) ++j;
    }

    std::string tag() {
        if (s_.substr(i_, 4) == "<!--") {
            const auto end = s_.find("-->", i_);
            if (end == std::string_view::npos) return at(s_, i_, "unclosed comment");
            i_ = end + 3;
            return "";
        }
        if (s_.substr(i_, 9) == "<!DOCTYPE") {
            i_ = s_.find('>', i_) + 1;
            return "";
        }
        std::size_t j = i_ + 1;
        const bool closing = j < s_.size() && s_[j] == '/';
        if (closing) ++j;
        const std::string name = name_at(j);
        if (name.empty()) return at(s_, i_, "stray '<'");
        if (closing) {
            skip_space(j);
            if (j >= s_.size() || s_[j] != '>') return at(s_, i_, "bad end tag");
            if (stack_.empty() || stack_.back() != name)
                return at(s_, i_, "</" + name + "> closes <" + (stack_.empty() ? "nothing" : stack_.back()) + ">");
            stack_.pop_back();
            i_ = j + 1;
            return "";
        }
        bool self_closing = false;
        for (;;) {
            skip_space(j);
            if (j >= s_.size()) return at(s_, i_, "unterminated tag");
            if (s_[j] == '>') break;
            if (s_.substr(j, 2) == "/>") {
                self_closing = true;
                ++j;
                break;
            }
            const std::string attr = name_at(j);
            if (attr.empty()) return at(s_, j, "bad attribute in <" + name + ">");
            skip_space(j);
            if (j < s_.size() && s_[j] == '=') {
                ++j;
                if (j >= s_.size() || s_[j] != '"') return at(s_, j, "unquoted attribute " + attr);
                const auto end = s_.find('"', j + 1);
                if (end == std::string_view::npos) return at(s_, j, "unterminated attribute " + attr);
                const std::string value(s_.substr(j + 1, end - j - 1));
                if (value.find('<') != std::string::npos) return at(s_, j, "'<' in attribute " + attr);
                if (is_numeric_attribute(attr) && !finite_number(value))
                    return at(s_, j, "attribute " + attr + " is not a finite number");
                if (attr == "d" && (value.find("nan") != std::string::npos || value.find("inf") != std::string::npos))
                    return at(s_, j, "path with a non-finite coordinate");
                j = end + 1;
            }
        }
        ++elements_;
        i_ = j + 1;
        if (self_closing || is_void_element(name)) return "";
        if (name == "style") {  // raw text up to its end tag
            const auto end = s_.find("</style>", i_);
            if (end == std::string_view::npos) return at(s_, i_, "unclosed <style>");
            i_ = end + 8;
            return "";
        }
        stack_.push_back(name);
        return "";
    }

    static bool finite_number(const std::string& v) {
        char* end = nullptr;
        const double d = std::strtod(v.c_str(), &end);
        return !v.empty() && end == v.c_str() + v.size() && std::isfinite(d);
    }

    std::string_view s_;
    std::size_t i_ = 0;
    std::vector<std::string> stack_;
    std::size_t elements_ = 0;
};

std::string check_markup(std::string_view html) {
    return markup_checker(html).run();
}

std::size_t count_of(std::string_view text, std::string_view what) {
    std::size_t n = 0;
    for (auto p = text.find(what); p != std::string_view::npos; p = text.find(what, p + 1)) ++n;
    return n;
}

// ---------------------------------------------------------------------------------------
// Data

const std::int64_t t_2015 = parse_iso8601("2015-01-01");

report_trace trace(std::string label, std::size_t n, std::int64_t period_ms, double (*f)(std::size_t)) {
    report_trace t;
    t.label = std::move(label);
    for (std::size_t i = 0; i < n; ++i) {
        t.time.push_back(t_2015 + static_cast<std::int64_t>(i) * period_ms);
        t.value.push_back(f(i));
    }
    return t;
}

double wave(std::size_t i) {
    return 10 + 3 * std::sin(static_cast<double>(i) / 50.0);
}

run_report_data demo_data() {
    run_report_data d;
    d.config_path = "config/demo.yaml";
    d.output_path = "results/demo.h5";
    d.start_ms = t_2015;
    d.end_ms = t_2015 + 3210;
    d.tsbatch_version = "0.1.0";
    d.ranks = 3;
    d.total_series = 2000;
    d.total_points = 10'000'000;
    d.total_seconds = 3.21;
    d.rank_work = {{700, 3'400'000, 0.2, 2.0, 0.3}, {650, 3'300'000, 0.2, 1.8, 0.3}, {650, 3'300'000, 0.1, 1.2, 0.2}};
    d.rank_hosts = {"n1", "n1", "n2"};
    d.planned_imbalance = 1.02;
    d.steps = {{"q", "quality_stats", 2000, 0, 0, 0.4, 10'000'000, true},
               {"hourly", "resample", 2000, 800'000, 3, 0.5, 10'000'000, true},
               {"z", "scale", 2000, 800'000, 3, 0.1, 800'000, false}};
    d.chunks = 40;
    d.chunks_from_checkpoint = 12;
    report_sample s;
    s.id = "gw.level{site=BH01}";
    s.traces.push_back(trace("source", 5000, 60'000, wave));
    s.traces.push_back(trace("hourly", 84, 3'600'000, wave));
    d.samples.push_back(s);
    return d;
}

// ---------------------------------------------------------------------------------------
// The page

TEST(run_report, DemoPageIsWellFormed) {
    const std::string html = render_run_report(demo_data());
    EXPECT_EQ(check_markup(html), "");
    EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
    EXPECT_NE(html.find("<meta charset=\"utf-8\">"), std::string::npos);
    EXPECT_NE(html.find("</html>"), std::string::npos);
    EXPECT_GE(count_of(html, "<svg "), 3u);  // two rank charts and a sample
}

TEST(run_report, CheckerCatchesBrokenMarkup) {
    EXPECT_EQ(check_markup("<p><b>x</b></p>"), "");
    EXPECT_NE(check_markup("<p><b>x</p></b>"), "");
    EXPECT_NE(check_markup("<p>a < b</p>"), "");
    EXPECT_NE(check_markup("<p>a & b</p>"), "");
    EXPECT_NE(check_markup("<svg><rect x=\"nan\"/></svg>"), "");
    EXPECT_NE(check_markup("<div>"), "");
}

TEST(run_report, ShowsEveryRankAndStep) {
    const std::string html = render_run_report(demo_data());
    for (const char* r : {"rank 0:", "rank 1:", "rank 2:"}) EXPECT_NE(html.find(r), std::string::npos) << r;
    // Each rank's host in the per-rank table.
    EXPECT_NE(html.find("<tr><td>2</td><td>n2</td>"), std::string::npos);
    EXPECT_NE(html.find("<tr><td>0</td><td>n1</td>"), std::string::npos);
    for (const char* s : {"<td>q</td>", "<td>hourly</td>", "<td>quality_stats</td>", "<td>resample</td>"})
        EXPECT_NE(html.find(s), std::string::npos) << s;
    EXPECT_NE(html.find("z <span class=\"note\">(not kept)</span>"), std::string::npos);
    // 10M input points in 0.5 s: 20 M points/s.
    EXPECT_NE(html.find("<td>20.00</td>"), std::string::npos);
    // Imbalance: compute 2.0 / mean 1.667 = 1.2, and the planned figure passed in.
    EXPECT_NE(html.find("<b>1.200</b>"), std::string::npos);
    EXPECT_NE(html.find("planned 1.020"), std::string::npos);
    EXPECT_NE(html.find("40 (12 from a checkpoint)"), std::string::npos);
    EXPECT_NE(html.find("2015-01-01T00:00:03.210Z"), std::string::npos);
}

TEST(run_report, EscapesUserText) {
    auto d = demo_data();
    const std::string nasty = "a<b>&\"c\"";
    const std::string escaped = "a&lt;b&gt;&amp;&quot;c&quot;";
    d.title = nasty;
    d.config_path = nasty;
    d.steps[0].name = nasty;
    d.steps[0].op = nasty;
    d.samples[0].id = nasty;
    d.samples[0].traces[1].label = nasty;
    d.rank_hosts[0] = nasty;
    const std::string html = render_run_report(d);
    EXPECT_EQ(check_markup(html), "");
    EXPECT_EQ(html.find("a<b>"), std::string::npos);
    EXPECT_GE(count_of(html, escaped), 7u);
}

TEST(run_report, EscapeReplacesInvalidUtf8AndControls) {
    EXPECT_EQ(html_escape("temp \xC2\xB0"
                          "C"),
              "temp \xC2\xB0"
              "C");
    EXPECT_EQ(html_escape("it's"), "it&#39;s");
    EXPECT_EQ(html_escape("bad \xFF byte"), "bad \xEF\xBF\xBD byte");
    EXPECT_EQ(html_escape("cut \xE2\x82"), "cut \xEF\xBF\xBD\xEF\xBF\xBD");
    EXPECT_EQ(html_escape(std::string("nul\0x", 5)), "nul\xEF\xBF\xBDx");
    EXPECT_EQ(html_escape("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
}

TEST(run_report, RefersToNothingOutside) {
    auto d = demo_data();
    std::string html = render_run_report(d);
    EXPECT_EQ(html.find("http://"), std::string::npos);
    EXPECT_EQ(html.find("https://"), std::string::npos);
    for (const char* ref : {"src=", "href=", "url(", "@import", "<script", "<link", "<img", "<iframe", "<object"})
        EXPECT_EQ(html.find(ref), std::string::npos) << ref;
    EXPECT_NE(html.find("Content-Security-Policy\" content=\"default-src 'none'"), std::string::npos);

    // A URL the user wrote appears as text only, escaped, and nowhere else.
    d.output_path = "https://example.org/a?x=1&y=<2>";
    d.samples[0].id = d.output_path;
    html = render_run_report(d);
    EXPECT_EQ(count_of(html, "https://"), count_of(html, "https://example.org/a?x=1&amp;y=&lt;2&gt;"));
    EXPECT_EQ(count_of(html, "https:"), 3u);  // the result path, the sample heading and its aria-label
    EXPECT_EQ(count_of(html, "http:"), 0u);
    EXPECT_EQ(check_markup(html), "");
}

TEST(run_report, EmptyAllNanAndSinglePointSeries) {
    auto d = demo_data();
    report_sample s;
    s.id = "edge";
    s.traces.push_back({"source", {}, {}});
    s.traces.push_back({"all_nan", {t_2015, t_2015 + 1000, t_2015 + 2000}, {nan, nan, nan}});
    s.traces.push_back({"one", {t_2015 + 500}, {42.0}});
    s.traces.push_back({"inf", {t_2015, t_2015 + 1000}, {std::numeric_limits<double>::infinity(), 1.0}});
    d.samples = {s};
    const std::string html = render_run_report(d);
    EXPECT_EQ(check_markup(html), "");
    EXPECT_NE(html.find(">no points<"), std::string::npos);
    EXPECT_NE(html.find(">no values (every point is missing)<"), std::string::npos);
    EXPECT_NE(html.find("3 points (3 missing)"), std::string::npos);
    EXPECT_EQ(count_of(html, "<circle "), 2u);  // the single point, and the lone finite value next to inf
    EXPECT_EQ(html.find("<path class=\"trace\""), std::string::npos);
}

TEST(run_report, SampleWithNoPointAnywhereOrNoTrace) {
    auto d = demo_data();
    report_sample empty_traces{"empty", {{"source", {}, {}}, {"z", {}, {}}}, {}};
    report_sample no_traces{"none", {}, {}};
    d.samples = {empty_traces, no_traces};
    const std::string html = render_run_report(d);
    EXPECT_EQ(check_markup(html), "");
    EXPECT_EQ(count_of(html, ">no points<"), 2u);
    EXPECT_NE(html.find("No data for this series."), std::string::npos);
}

TEST(run_report, RanksWithoutWorkAndNoRanks) {
    auto d = demo_data();
    d.rank_work.assign(4, report_rank{});
    d.steps = {{"q", "quality_stats", 0, 0, 0, 0, 0, true}};
    d.samples.clear();
    d.total_series = d.total_points = 0;
    d.total_seconds = 0;
    d.planned_imbalance = nan;
    std::string html = render_run_report(d);
    EXPECT_EQ(check_markup(html), "");
    EXPECT_NE(html.find("<b>1.000</b>"), std::string::npos);  // nothing to balance
    EXPECT_EQ(html.find("planned"), std::string::npos);
    EXPECT_NE(html.find("rank 3:"), std::string::npos);
    EXPECT_NE(html.find("No sample series."), std::string::npos);

    d.rank_work.clear();
    d.steps.clear();
    html = render_run_report(d);
    EXPECT_EQ(check_markup(html), "");
    EXPECT_NE(html.find("No per-rank figures."), std::string::npos);
    EXPECT_NE(html.find("No steps."), std::string::npos);
}

TEST(run_report, NegativeAndNanTimingsDoNotBreakCharts) {
    auto d = demo_data();
    d.rank_work[0].read_s = -1;
    d.rank_work[1].compute_s = nan;
    d.steps[0].seconds = nan;
    EXPECT_EQ(check_markup(render_run_report(d)), "");
}

TEST(run_report, ManyRanksLabelOnlySome) {
    auto d = demo_data();
    d.rank_work.assign(1000, report_rank{1, 1000, 0.1, 1.0, 0.1});
    d.rank_work[999].compute_s = 2.0;
    const std::string html = render_run_report(d);
    EXPECT_EQ(check_markup(html), "");
    EXPECT_NE(html.find("rank 999:"), std::string::npos);
    EXPECT_NE(html.find(">950</text>"), std::string::npos);  // a label every 50 ranks
    EXPECT_EQ(html.find(">951</text>"), std::string::npos);
}

TEST(run_report, ReadableAxisLabels) {
    auto d = demo_data();
    const std::string html = render_run_report(d);
    // Seconds axis of the rank chart (0 to 2.5 s) and points axis (0 to 3.4M).
    EXPECT_NE(html.find(">0 s</text>"), std::string::npos);
    EXPECT_NE(html.find(">0.5 s</text>"), std::string::npos);
    EXPECT_NE(html.find(">2.0 s</text>"), std::string::npos);
    EXPECT_NE(html.find(">3M</text>"), std::string::npos);
    // The sample spans 3.5 days: ticks at midnight, labelled with the date only.
    EXPECT_NE(html.find(">2015-01-02</text>"), std::string::npos);
    EXPECT_NE(html.find(">2015-01-04</text>"), std::string::npos);
}

TEST(run_report, TimeAxisLabelsFollowTheSpan) {
    auto d = demo_data();
    const auto with_span = [&](std::int64_t start, std::int64_t end) {
        d.samples = {{"s", {{"source", {start, end}, {1.0, 2.0}}}, {}}};
        return render_run_report(d);
    };
    EXPECT_NE(with_span(t_2015, t_2015 + 6 * ms_per_hour).find(">2015-01-01T02:00Z</text>"), std::string::npos);
    EXPECT_NE(with_span(t_2015, t_2015 + 30 * ms_per_second).find(">2015-01-01T00:00:10Z</text>"), std::string::npos);
    EXPECT_NE(with_span(t_2015, t_2015 + 200).find(">2015-01-01T00:00:00.100Z</text>"), std::string::npos);
    EXPECT_NE(with_span(t_2015, parse_iso8601("2016-01-01")).find(">2015-07</text>"), std::string::npos);
    EXPECT_NE(with_span(t_2015, parse_iso8601("2045-01-01")).find(">2030</text>"), std::string::npos);
    EXPECT_NE(with_span(parse_iso8601("1960-01-01"), t_2015).find(">1980</text>"), std::string::npos);
    // The widest valid range (±2^62 ms) still gets year ticks, not an overflow.
    const std::string wide = with_span(-(std::int64_t{1} << 62), std::int64_t{1} << 62);
    EXPECT_EQ(check_markup(wide), "");
    EXPECT_GE(count_of(wide, "class=\"axisline\""), 3u);
    // Times beyond the valid range are drawn at the edge rather than overflowing the ticks.
    const std::string beyond =
        with_span(std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max());
    EXPECT_EQ(check_markup(beyond), "");
}

TEST(run_report, HugeSeriesIsDownsampled) {
    auto d = demo_data();
    report_trace big = trace("source", 1'000'000, 1000, wave);
    big.value[123'457] = 1e6;  // a one-point spike must stay visible
    for (std::size_t i = 500'000; i < 500'200; ++i) big.value[i] = nan;
    d.samples = {{"big", {big}, {}}};
    const std::string html = render_run_report(d);
    EXPECT_EQ(check_markup(html), "");
    EXPECT_LT(html.size(), 120'000u);
    // The y axis reaches the spike (ticks up to 1.0M).
    EXPECT_NE(html.find(">1.0M</text>"), std::string::npos);
}

TEST(run_report, FiveSamplesOfFiveStepsStayUnderTwoMegabytes) {
    auto d = demo_data();
    d.samples.clear();
    for (int k = 0; k < 5; ++k) {
        report_sample s;
        s.id = "sample" + std::to_string(k);
        for (int step = 0; step < 5; ++step) {
            // Noisy, with NaN every 7 points: the worst case for min/max buckets and gaps.
            auto tr = trace("step" + std::to_string(step), 200'000, 1000, [](std::size_t i) {
                return i % 7 == 3 ? nan : std::sin(static_cast<double>(i)) * static_cast<double>(i % 13);
            });
            s.traces.push_back(std::move(tr));
        }
        d.samples.push_back(std::move(s));
    }
    const std::string html = render_run_report(d);
    EXPECT_EQ(check_markup(html), "");
    EXPECT_LT(html.size(), 2'000'000u);
}

// ---------------------------------------------------------------------------------------
// Dataset-wide results: the heatmap's reduction and order, and each picture on the page

using namespace tsbatch::testing;

TEST(run_report_heatmap, SmallMatrixKeepsEveryCell) {
    const report_heatmap h = synthetic_heatmap(7);
    ASSERT_EQ(h.cells(), 7u);
    EXPECT_EQ(h.series, 7u);
    EXPECT_EQ(h.block_start, (std::vector<std::uint64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
    for (std::size_t i = 0; i < 7; ++i)
        for (std::size_t j = 0; j < 7; ++j) {
            const double want = synthetic_r(i, j, 5);
            if (std::isnan(want))
                EXPECT_TRUE(std::isnan(h.value[i * 7 + j])) << i << "," << j;
            else
                EXPECT_EQ(h.value[i * 7 + j], want) << i << "," << j;
        }
    ASSERT_EQ(h.labels.size(), 7u);
    EXPECT_EQ(h.labels[3], "gw.level{block=0,site=BH3}");
}

TEST(run_report_heatmap, BlocksAreMeansOfTheirFiniteValues) {
    // 5 x 5 into 2 cells: rows 0-2 and 3-4 (cell k starts at ceil(k * 5 / 2)).
    const double x = nan;
    const std::vector<double> m{1, 2, 3, 4, 5,  //
                                2, 1, x, 6, 7,  //
                                3, x, 1, 8, 9,  //
                                4, 6, 8, 1, x,  //
                                5, 7, 9, x, x};
    heatmap_reducer red(5, 2);
    red.add_rows(3, 2, std::span<const double>(m).subspan(15, 10));  // strips in any order
    red.add_rows(0, 3, std::span<const double>(m).subspan(0, 15));
    const report_heatmap h = red.result("c", "r", {});
    EXPECT_EQ(h.block_start, (std::vector<std::uint64_t>{0, 3, 5}));
    ASSERT_EQ(h.value.size(), 4u);
    EXPECT_DOUBLE_EQ(h.value[0], (1 + 2 + 3 + 2 + 1 + 3 + 1) / 7.0);
    EXPECT_DOUBLE_EQ(h.value[1], (4 + 5 + 6 + 7 + 8 + 9) / 6.0);
    EXPECT_DOUBLE_EQ(h.value[2], (4 + 6 + 8 + 5 + 7 + 9) / 6.0);
    EXPECT_DOUBLE_EQ(h.value[3], 1.0);  // the NaNs are left out
    EXPECT_TRUE(h.labels.empty());
    // A block with no finite value is NaN.
    heatmap_reducer none(2, 2);
    none.add_rows(0, 2, std::vector<double>{1, nan, nan, 1});
    EXPECT_TRUE(std::isnan(none.result("c", "r", {}).value[1]));
}

TEST(run_report_heatmap, StripsThatDoNotFitAreRefused) {
    heatmap_reducer red(4, 2);
    EXPECT_THROW(red.add_rows(3, 2, std::vector<double>(8)), internal_error);
    EXPECT_THROW(red.add_rows(0, 1, std::vector<double>(3)), internal_error);
    EXPECT_THROW(red.add_rows(5, 0, {}), internal_error);
    EXPECT_GE(red.rows_per_strip(1), 1u);
    EXPECT_EQ(heatmap_reducer(1000).rows_per_strip(8000 * 10), 10u);
}

TEST(run_report_heatmap, TenThousandSeriesBecomeAHundredCellsFedRowByRow) {
    // 10,000 x 10,000 never held: one row at a time, as the pipeline reads it in strips.
    const std::size_t n = 10'000;
    heatmap_reducer red(n);
    std::vector<double> row(n);
    for (std::size_t i = 0; i < n; ++i) {
        // Two halves: +0.8 within, -0.2 across.
        for (std::size_t j = 0; j < n; ++j) row[j] = i == j ? 1.0 : (i < n / 2) == (j < n / 2) ? 0.8 : -0.2;
        red.add_rows(i, 1, row);
    }
    const report_heatmap h = red.result("corr", "r", {});
    ASSERT_EQ(h.cells(), report_heatmap_max_cells);
    EXPECT_EQ(h.block_start[1], 100u);
    EXPECT_NEAR(h.value[0], (0.8 * 9900 + 100) / 10000, 1e-12);  // a diagonal block: its 1s count
    EXPECT_NEAR(h.value[99], -0.2, 1e-12);
    const std::string html = [&] {
        auto d = demo_data();
        d.dataset.correlations.push_back(h);
        return render_run_report(d);
    }();
    EXPECT_EQ(check_markup(html), "");
    EXPECT_LT(html.size(), 600'000u);
    EXPECT_NE(html.find("100 \xC3\x97 100 cells"), std::string::npos);
    EXPECT_NE(html.find("10,000 series"), std::string::npos);
}

TEST(run_report_heatmap, ClusteringBringsEachBlockTogether) {
    const report_heatmap h = synthetic_heatmap(30);
    const auto order = heatmap_order(h);
    ASSERT_EQ(order.size(), 30u);
    EXPECT_TRUE(std::is_permutation(order.begin(), order.end(),
                                    [] {
                                        std::vector<std::size_t> v(30);
                                        for (std::size_t i = 0; i < 30; ++i) v[i] = i;
                                        return v;
                                    }()
                                        .begin()));
    // Leaving out series 5 (NaN with every other), each block is one run of the order.
    std::vector<std::size_t> blocks;
    for (const auto k : order)
        if (k != 5) blocks.push_back(synthetic_block(k));
    std::size_t changes = 0;
    for (std::size_t i = 1; i < blocks.size(); ++i) changes += blocks[i] != blocks[i - 1];
    EXPECT_EQ(changes, 2u);
    // The part holding the lowest index comes first, so series 0 leads.
    EXPECT_EQ(order.front(), 0u);
    EXPECT_EQ(heatmap_order(h), order);  // deterministic
    EXPECT_TRUE(heatmap_order(report_heatmap{}).empty());
}

TEST(run_report_dataset, EveryPictureIsDrawnAndWellFormed) {
    auto d = demo_data();
    d.dataset = synthetic_dataset();
    const std::string html = render_run_report(d);
    EXPECT_EQ(check_markup(html), "");
    EXPECT_NE(html.find("<section id=\"dataset\">"), std::string::npos);
    for (const char* s : {"corr \xC2\xB7 correlation", "pca \xC2\xB7 pca", "km \xC2\xB7 kmeans",
                          "match \xC2\xB7 pattern_search", "mot \xC2\xB7 motifs"})
        EXPECT_NE(html.find(s), std::string::npos) << s;
    // 30 cells: named axes and one tooltip per cell.
    EXPECT_NE(html.find("gw.level{block=1,site=BH1}"), std::string::npos);
    EXPECT_EQ(count_of(html, "</title></rect>"), 30u * 30u);
    // The legend of the colour scale and the NaN swatch.
    EXPECT_NE(html.find(">-1.0</text>"), std::string::npos);
    EXPECT_NE(html.find(">NaN</text>"), std::string::npos);
    // PCA: 52% for the first component, and the cumulative line.
    EXPECT_NE(html.find("component 1: 52.00% (52.00% cumulative)"), std::string::npos);
    // k-means: the sizes and one small plot per centroid.
    EXPECT_NE(html.find("cluster 2: 7 series"), std::string::npos);
    EXPECT_NE(html.find("cluster 1 \xC2\xB7 9 series"), std::string::npos);
    // Pattern: the pattern, five drawn matches, and a match without values listed as such.
    EXPECT_EQ(count_of(html, "class=\"overlay-lead\""), 2u);  // the pattern and the motif centre
    EXPECT_NE(html.find("#1 ph{site=W1}  d=0.100"), std::string::npos);
    EXPECT_NE(html.find("(no values)"), std::string::npos);
    EXPECT_NE(html.find("centre: cond{site=C1}"), std::string::npos);
    EXPECT_NE(html.find("stand-in: a note"), std::string::npos);
}

TEST(run_report_dataset, LargeHeatmapDrawsPathsNotCells) {
    auto d = demo_data();
    d.dataset.correlations.push_back(synthetic_heatmap(250));
    const std::string html = render_run_report(d);
    EXPECT_EQ(check_markup(html), "");
    EXPECT_EQ(count_of(html, "</title></rect>"), 0u);
    EXPECT_NE(html.find("series, clustered order"), std::string::npos);
    EXPECT_NE(html.find("100 \xC3\x97 100 cells"), std::string::npos);
    EXPECT_LT(html.size(), 150'000u);  // the blocks' runs of one colour are one rectangle each
    // The worst case: no two neighbours share a colour step.
    report_heatmap noise = synthetic_heatmap(100);
    for (std::size_t k = 0; k < noise.value.size(); ++k) noise.value[k] = std::sin(static_cast<double>(k * k));
    d.dataset.correlations = {noise};
    const std::string noisy = render_run_report(d);
    EXPECT_EQ(check_markup(noisy), "");
    EXPECT_LT(noisy.size(), 450'000u);
}

TEST(run_report_dataset, EmptyResultsDoNotBreakThePage) {
    auto d = demo_data();
    d.dataset.correlations.push_back({});
    report_heatmap wrong = synthetic_heatmap(4);
    wrong.value.pop_back();  // inconsistent sizes: said, not drawn
    d.dataset.correlations.push_back(wrong);
    d.dataset.pcas.push_back({"pca", {}, {}});
    d.dataset.pcas.push_back({"pca2", {0.7, nan, -1}, {0.7}});
    d.dataset.kmeans.push_back({"km", "time", {}, {}});
    d.dataset.kmeans.push_back({"km2", "time", {0, 3}, {{nan, nan}, {1}}});
    d.dataset.patterns.push_back({"match", "dtw", {}, {}});
    d.dataset.patterns.push_back({"match2", "dtw", {}, {{"a<b", 1, nan, 0, 0, {1, 2, nan, 4}}}});
    d.dataset.motifs.push_back({"mot", 1, 0, {}});
    d.dataset.motifs.push_back({"mot2", 1, 1, {{"c", 0, 0, 0, 0, {5, 5, 5}}}});
    const std::string html = render_run_report(d);
    EXPECT_EQ(check_markup(html), "");
    EXPECT_EQ(count_of(html, "No matrix to draw."), 2u);
    EXPECT_NE(html.find("No component."), std::string::npos);
    EXPECT_NE(html.find("No cluster."), std::string::npos);
    EXPECT_NE(html.find("No match."), std::string::npos);
    EXPECT_NE(html.find("No motif group."), std::string::npos);
    EXPECT_NE(html.find("a&lt;b"), std::string::npos);
    EXPECT_EQ(html.find("a<b"), std::string::npos);
}

TEST(run_report_dataset, NoResultsNoSection) {
    EXPECT_EQ(render_run_report(demo_data()).find("id=\"dataset\""), std::string::npos);
}

TEST(run_report_dataset, ManyComponentsClustersAndMatchesAreCapped) {
    auto d = demo_data();
    report_pca p{"pca", std::vector<double>(500, 0.002), std::vector<double>(500, 0.5)};
    d.dataset.pcas.push_back(p);
    report_kmeans k{"km", "time", std::vector<std::uint64_t>(300, 2), {}};
    for (int c = 0; c < 300; ++c) k.centroids.push_back(std::vector<double>(100'000, c));
    d.dataset.kmeans.push_back(k);
    report_pattern_search m{"match", "euclidean_znorm", std::vector<double>(100'000, 1), {}};
    for (int i = 1; i <= 100; ++i) m.matches.push_back(synthetic_window("s" + std::to_string(i), i, 1, 100'000, 0));
    d.dataset.patterns.push_back(m);
    const std::string html = render_run_report(d);
    EXPECT_EQ(check_markup(html), "");
    EXPECT_NE(html.find("the first 50 of 500 components"), std::string::npos);
    EXPECT_NE(html.find("the first 24 of 300 clusters"), std::string::npos);
    EXPECT_EQ(count_of(html, "class=\"overlay\""), 12u);
    EXPECT_LT(html.size(), 1'500'000u);
}

TEST(run_report_profile, MotifPairAndDiscordAreShadedOnTheSeriesAndTheProfile) {
    auto d = demo_data();
    d.samples = {synthetic_profile_sample()};
    const std::string html = render_run_report(d);
    EXPECT_EQ(check_markup(html), "");
    // Two motif windows and a discord, on the source trace and on the profile, plus the key.
    EXPECT_EQ(count_of(html, "class=\"shade-motif\"><title>"), 4u);
    EXPECT_EQ(count_of(html, "class=\"shade-discord\"><title>"), 2u);
    EXPECT_EQ(count_of(html, "class=\"shade-motif\"/>"), 1u);
    // The windows start at the planted points and span 50 points.
    const planted_series s = synthetic_planted();
    EXPECT_NE(html.find("top motif pair, first window from " + std::string("2015-01-01T05:00:00.000Z (50 points)")),
              std::string::npos);
    EXPECT_NE(html.find("top discord window from 2015-01-01T15:00:00.000Z (50 points)"), std::string::npos);
    EXPECT_EQ(s.time[s.a], synthetic_t0 + 300 * 60'000);
    EXPECT_NE(html.find("mp (of source, window 50): "), std::string::npos);
}

TEST(run_report_profile, AbsentMarksOtherInputsAndOddProfiles) {
    auto d = demo_data();
    report_sample s = synthetic_profile_sample();
    // A profile of a trace the sample does not have: shaded on the profile only, its
    // windows measured on the profile's own times.
    report_matrix_profile other = s.profiles.front();
    other.input = "hourly";
    // No marks, a profile longer in time than the series and with mismatched sizes.
    report_matrix_profile bare;
    bare.step = "mp2";
    bare.window = 3;
    bare.time = {synthetic_t0 - 10 * 60'000, synthetic_t0, synthetic_t0 + 1};
    bare.distance = {std::numeric_limits<double>::infinity(), nan};
    // Marks outside everything, and a window of 0 points.
    report_matrix_profile odd = bare;
    odd.step = "mp3";
    odd.window = 0;
    odd.distance = {1, 2, 3};
    odd.motif_a_time = std::numeric_limits<std::int64_t>::max();
    odd.discord_time = synthetic_t0 - 99'999'999;
    s.profiles = {other, bare, odd};
    d.samples = {s};
    const std::string html = render_run_report(d);
    EXPECT_EQ(check_markup(html), "");
    // `other`: 2 motif windows and a discord on its profile alone; `odd` (of the source): one
    // motif window and a discord, clamped to the edges, on the source and on its profile.
    EXPECT_EQ(count_of(html, "class=\"shade-motif\"><title>"), 4u);
    EXPECT_EQ(count_of(html, "class=\"shade-discord\"><title>"), 3u);
    EXPECT_NE(html.find("no values (every point is missing)"), std::string::npos);
    // A sample with a profile and no trace is drawn too.
    d.samples = {{"only-profile", {}, {other}}};
    const std::string alone = render_run_report(d);
    EXPECT_EQ(check_markup(alone), "");
    EXPECT_EQ(alone.find("No data for this series."), std::string::npos);
}

// ---------------------------------------------------------------------------------------
// Downsampling and imbalance

std::vector<std::int64_t> iota_times(std::size_t n) {
    std::vector<std::int64_t> t(n);
    for (std::size_t i = 0; i < n; ++i) t[i] = static_cast<std::int64_t>(i);
    return t;
}

std::size_t total_points(const std::vector<std::vector<plot_point>>& runs) {
    std::size_t n = 0;
    for (const auto& r : runs) n += r.size();
    return n;
}

TEST(run_report_downsample, KeepsSpikesAndBoundsThePoints) {
    const std::size_t n = 1'000'000;
    const auto t = iota_times(n);
    std::vector<double> v(n, 1.0);
    v[4242] = 99.0;
    v[777'777] = -50.0;
    const auto runs = downsample_min_max({t, v}, 0, static_cast<std::int64_t>(n - 1), 800);
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_LE(runs[0].size(), 1600u);
    double lo = 0, hi = 0;
    for (const auto& p : runs[0]) {
        lo = std::min(lo, p.v);
        hi = std::max(hi, p.v);
    }
    EXPECT_EQ(hi, 99.0);
    EXPECT_EQ(lo, -50.0);
    EXPECT_TRUE(std::is_sorted(runs[0].begin(), runs[0].end(),
                               [](const plot_point& a, const plot_point& b) { return a.t < b.t; }));
}

TEST(run_report_downsample, FewPointsPassThrough) {
    const std::vector<std::int64_t> t{0, 10, 20};
    const std::vector<double> v{1, 3, 2};
    const auto runs = downsample_min_max({t, v}, 0, 20, 800);
    ASSERT_EQ(runs.size(), 1u);
    ASSERT_EQ(runs[0].size(), 3u);
    EXPECT_EQ(runs[0][1].t, 10.0);
    EXPECT_EQ(runs[0][1].v, 3.0);
}

TEST(run_report_downsample, GapsBreakTheLine) {
    const auto t = iota_times(100);
    std::vector<double> v(100, 1.0);
    for (std::size_t i = 40; i < 60; ++i) v[i] = nan;
    v[0] = nan;  // leading and trailing gaps start or end nothing
    v[99] = nan;
    const auto runs = downsample_min_max({t, v}, 0, 99, 100);
    ASSERT_EQ(runs.size(), 2u);
    EXPECT_EQ(runs[0].front().t, 1.0);
    EXPECT_EQ(runs[0].back().t, 39.0);
    EXPECT_EQ(runs[1].front().t, 60.0);
    EXPECT_EQ(runs[1].back().t, 98.0);
}

TEST(run_report_downsample, LongIntervalsWithoutPointsBreakTheLine) {
    // Hourly points with a day missing, as resample leaves an outage out.
    std::vector<std::int64_t> t;
    for (std::int64_t h = 0; h < 72; ++h)
        if (h < 24 || h >= 48) t.push_back(h * ms_per_hour);
    const std::vector<double> v(t.size(), 1.0);
    const double gap = plot_gap_ms(t);
    EXPECT_DOUBLE_EQ(gap, 3.0 * ms_per_hour);
    const auto runs = downsample_min_max({t, v}, 0, 71 * ms_per_hour, 500, gap);
    ASSERT_EQ(runs.size(), 2u);
    EXPECT_EQ(runs[1].front().t, 48.0 * ms_per_hour);
    EXPECT_EQ(downsample_min_max({t, v}, 0, 71 * ms_per_hour, 500).size(), 1u);  // no limit: one line
    EXPECT_TRUE(std::isinf(plot_gap_ms(std::vector<std::int64_t>{0, 10})));
}

TEST(run_report_downsample, AlternatingGapsStayBounded) {
    const std::size_t n = 1'000'000;
    const auto t = iota_times(n);
    std::vector<double> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = i % 2 == 0 ? static_cast<double>(i % 11) : nan;
    const auto runs = downsample_min_max({t, v}, 0, static_cast<std::int64_t>(n - 1), 500);
    EXPECT_LE(total_points(runs), 1000u);
    EXPECT_LE(runs.size(), 500u);
}

TEST(run_report_downsample, EmptyAllNanAndOnePoint) {
    const std::vector<std::int64_t> none;
    const std::vector<double> nv;
    EXPECT_TRUE(downsample_min_max({none, nv}, 0, 1, 100).empty());
    const std::vector<std::int64_t> t{5, 6};
    const std::vector<double> all_nan{nan, nan};
    EXPECT_TRUE(downsample_min_max({t, all_nan}, 5, 6, 100).empty());
    const std::vector<std::int64_t> one_t{5};
    const std::vector<double> one_v{2.5};
    const auto runs = downsample_min_max({one_t, one_v}, 5, 5, 100);  // zero span
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0].size(), 1u);
}

TEST(run_report_imbalance, MaxOverMeanOfComputeTime) {
    EXPECT_DOUBLE_EQ(compute_imbalance({{0, 0, 9, 1, 9}, {0, 0, 0, 3, 0}}), 1.5);
    EXPECT_DOUBLE_EQ(compute_imbalance({}), 1.0);
    EXPECT_DOUBLE_EQ(compute_imbalance({{}, {}, {}}), 1.0);
    EXPECT_DOUBLE_EQ(compute_imbalance({{0, 0, 0, 2, 0}, {0, 0, 0, nan, 0}}), 2.0);
}

// ---------------------------------------------------------------------------------------
// Writing the file

class run_report_write : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ =
            std::filesystem::temp_directory_path() / ("tsbatch_report_" + std::to_string(::getpid()) + "_" +
                                                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override {
        std::filesystem::permissions(dir_, std::filesystem::perms::owner_all, std::filesystem::perm_options::add);
        std::filesystem::remove_all(dir_);
    }
    std::vector<std::string> entries() const {
        std::vector<std::string> names;
        for (const auto& e : std::filesystem::directory_iterator(dir_)) names.push_back(e.path().filename().string());
        std::sort(names.begin(), names.end());
        return names;
    }
    static std::string read(const std::filesystem::path& p) {
        std::ifstream f(p, std::ios::binary);
        std::ostringstream ss;
        ss << f.rdbuf();
        return ss.str();
    }
    std::filesystem::path dir_;
};

TEST_F(run_report_write, WritesThePageAndReplacesAnOldOne) {
    const auto path = dir_ / "report.html";
    std::ofstream(path) << "old";
    const auto d = demo_data();
    write_run_report(path.string(), d);
    EXPECT_EQ(read(path), render_run_report(d));
    EXPECT_EQ(entries(), std::vector<std::string>{"report.html"});  // no temporary file left
}

TEST_F(run_report_write, RemovesWhatAWriterKilledOnThisHostLeftBehind) {
    const auto path = dir_ / "report.html";
    const std::string mine = temp_path_for(path.string());  // report.html.tmp.HOST.PID
    const std::string prefix = mine.substr(0, mine.rfind('.') + 1);
    const pid_t killed = tsbatch::testing::ended_process_pid();
    ASSERT_GT(killed, 0);
    std::ofstream(prefix + std::to_string(killed)) << "<html><body>half";
    std::ofstream(dir_ / ("report.html.tmp.another-host." + std::to_string(killed))) << "theirs";
    write_run_report(path.string(), demo_data());
    EXPECT_EQ(entries(),
              (std::vector<std::string>{"report.html", "report.html.tmp.another-host." + std::to_string(killed)}));
}

TEST_F(run_report_write, MissingDirectoryIsAnOutputErrorNamingThePath) {
    const std::string path = (dir_ / "missing" / "report.html").string();
    try {
        write_run_report(path, demo_data());
        FAIL() << "no error";
    } catch (const output_error& e) {
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
        EXPECT_EQ(e.code(), exit_code::usage);
    }
    EXPECT_TRUE(entries().empty());
}

TEST_F(run_report_write, FailedRenameLeavesNoFile) {
    // The destination is a non-empty directory: the temporary file is written, the rename
    // fails, and the temporary file must go.
    const auto path = dir_ / "report.html";
    std::filesystem::create_directories(path / "inside");
    EXPECT_THROW(write_run_report(path.string(), demo_data()), output_error);
    EXPECT_EQ(entries(), std::vector<std::string>{"report.html"});
    EXPECT_TRUE(std::filesystem::is_directory(path));
}

// An unwritable place, for root too (the suite runs as root in CI, where permission bits
// do not stop a write).
TEST_F(run_report_write, ProcIsUnwritableEvenForRoot) {
    ASSERT_TRUE(std::filesystem::is_directory("/proc/self"));
    EXPECT_THROW(write_run_report("/proc/tsbatch-report.html", demo_data()), output_error);
    EXPECT_FALSE(std::filesystem::exists("/proc/tsbatch-report.html"));
}

}  // namespace
}  // namespace tsbatch
