#include "report/run_report.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <utility>

#include "core/error.hpp"
#include "core/format.hpp"
#include "core/temp_file.hpp"
#include "core/time.hpp"

namespace tsbatch {
namespace {

// ---------------------------------------------------------------------------------------
// Text and numbers

[[gnu::format(printf, 2, 3)]] void appendf(std::string& out, const char* fmt, ...) {
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    const int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (static_cast<std::size_t>(n) < sizeof buf) {
        out.append(buf, static_cast<std::size_t>(n));
        return;
    }
    std::string big(static_cast<std::size_t>(n) + 1, '\0');
    va_start(ap, fmt);
    std::vsnprintf(big.data(), big.size(), fmt, ap);
    va_end(ap);
    out.append(big.data(), static_cast<std::size_t>(n));
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not one (overlong
// forms, surrogates and code points above U+10FFFF are invalid too).
std::size_t utf8_length(std::string_view s, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned c = byte(i);
    std::size_t n = 0;
    unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (i + n > s.size() || byte(i + 1) < lo || byte(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k)
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
    return n;
}

constexpr std::string_view replacement_char = "\xEF\xBF\xBD";

// A number that may be NaN or negative, as a length: bars and sums never go below zero.
double nonneg(double v) {
    return v > 0 && std::isfinite(v) ? v : 0;
}

std::string fmt_fixed(double v, int decimals) {
    if (!std::isfinite(v)) return "\xE2\x80\x93";  // en dash: no value
    std::string s;
    appendf(s, "%.*f", decimals, v);
    return s;
}

// ---------------------------------------------------------------------------------------
// Numeric axes: ticks at 1, 2 or 5 times a power of ten, labels with just enough digits.

struct linear_axis {
    double lo, hi, step;
};

linear_axis nice_axis(double lo, double hi, int max_ticks) {
    // Beyond this a span overflows; values past it are drawn at the edge.
    constexpr double limit = 1e300;
    if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
    lo = std::clamp(lo, -limit, limit);
    hi = std::clamp(hi, -limit, limit);
    if (hi < lo) std::swap(lo, hi);
    // A constant (or nearly constant) series still gets a visible range around its value.
    if (hi - lo <= std::fabs(lo) * 1e-12) {
        const double pad = lo == 0 ? 1 : std::fabs(lo) * 0.1;
        lo -= pad;
        hi += pad;
    }
    const double raw = (hi - lo) / std::max(max_ticks, 1);
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double r = raw / mag;
    const double step = (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * mag;
    return {std::floor(lo / step) * step, std::ceil(hi / step) * step, step};
}

std::vector<double> axis_ticks(const linear_axis& a) {
    std::vector<double> ticks;
    const long long n = std::llround((a.hi - a.lo) / a.step);
    for (long long k = 0; k <= n && k <= 100; ++k) ticks.push_back(a.lo + static_cast<double>(k) * a.step);
    return ticks;
}

// Tick labels of one axis share a unit (k, M, G, T above 10^4) and a number of decimals
// derived from the step, so `0.5 1.0 1.5` and `2k 4k 6k` rather than `0.500000` or `2000`.
class tick_format {
public:
    explicit tick_format(const linear_axis& a) : step_(a.step) {
        const double m = std::max(std::fabs(a.lo), std::fabs(a.hi));
        if (m >= 1e15 || a.step < 1e-4) {
            scientific_ = true;
            decimals_ = std::clamp(static_cast<int>(std::ceil(std::log10(m / a.step))) + 1, 2, 15);
            return;
        }
        static constexpr std::array<std::pair<double, const char*>, 4> units{
            {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}}};
        if (m >= 1e4)
            for (const auto& [u, s] : units)
                if (m >= u) {
                    div_ = u;
                    suffix_ = s;
                    break;
                }
        decimals_ = std::max(0, static_cast<int>(std::ceil(-std::log10(a.step / div_) - 1e-9)));
    }

    std::string operator()(double v) const {
        if (std::fabs(v) < step_ * 1e-9) return "0";  // not "0.0M", nor the 1e-17 lo + k * step leaves
        std::string s;
        if (scientific_)
            appendf(s, "%.*g", decimals_, v);
        else
            appendf(s, "%.*f%s", decimals_, v / div_, suffix_);
        return s;
    }

private:
    double step_;
    bool scientific_ = false;
    int decimals_ = 0;
    double div_ = 1;
    const char* suffix_ = "";
};

// ---------------------------------------------------------------------------------------
// Time axes: ticks on round UTC instants (a minute, an hour, a day, the first of a month, a
// year), labelled in ISO 8601 at the precision the step needs.

enum class time_precision { millisecond, second, minute, day, month, year };

std::string time_label(std::int64_t t, time_precision p) {
    const std::int64_t days = floor_div(t, ms_per_day);
    const std::int64_t rem = t - days * ms_per_day;
    const civil_date c = civil_from_days(days);
    const auto y = static_cast<long long>(c.y);
    const auto h = static_cast<long long>(rem / ms_per_hour), mi = static_cast<long long>(rem / ms_per_minute % 60);
    const auto s = static_cast<long long>(rem / ms_per_second % 60), ms = static_cast<long long>(rem % ms_per_second);
    std::string out;
    switch (p) {
        case time_precision::year:
            appendf(out, "%04lld", y);
            break;
        case time_precision::month:
            appendf(out, "%04lld-%02u", y, c.m);
            break;
        case time_precision::day:
            appendf(out, "%04lld-%02u-%02u", y, c.m, c.d);
            break;
        case time_precision::minute:
            appendf(out, "%04lld-%02u-%02uT%02lld:%02lldZ", y, c.m, c.d, h, mi);
            break;
        case time_precision::second:
            appendf(out, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", y, c.m, c.d, h, mi, s);
            break;
        case time_precision::millisecond:
            appendf(out, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", y, c.m, c.d, h, mi, s, ms);
            break;
    }
    return out;
}

struct time_ticks {
    std::vector<std::int64_t> at;
    time_precision precision = time_precision::millisecond;
};

// Multiples of a fixed step; week steps start on Mondays (the epoch was a Thursday).
time_ticks fixed_step_ticks(std::int64_t t0, std::int64_t t1, std::int64_t step) {
    time_ticks r;
    r.precision = step % ms_per_day == 0      ? time_precision::day
                  : step % ms_per_minute == 0 ? time_precision::minute
                  : step % ms_per_second == 0 ? time_precision::second
                                              : time_precision::millisecond;
    const std::int64_t origin = step % ms_per_week == 0 ? 4 * ms_per_day : 0;
    for (std::int64_t t = floor_div(t0 - origin + step - 1, step) * step + origin; t <= t1; t += step)
        r.at.push_back(t);
    return r;
}

// First days of months, every `months` months counted from year 0.
time_ticks month_ticks(std::int64_t t0, std::int64_t t1, std::int64_t months) {
    time_ticks r;
    r.precision = months % 12 == 0 ? time_precision::year : time_precision::month;
    const civil_date c = civil_from_days(floor_div(t0, ms_per_day));
    const auto start_of = [](std::int64_t index) {
        return days_from_civil(floor_div(index, 12), static_cast<unsigned>(index - floor_div(index, 12) * 12) + 1, 1) *
               ms_per_day;
    };
    std::int64_t index = floor_div(c.y * 12 + c.m - 1 + months - 1, months) * months;
    while (start_of(index) < t0) index += months;
    for (; start_of(index) <= t1; index += months) r.at.push_back(start_of(index));
    return r;
}

time_ticks make_time_ticks(std::int64_t t0, std::int64_t t1, int max_ticks) {
    const double want = (static_cast<double>(t1) - static_cast<double>(t0)) / std::max(max_ticks, 1);
    static constexpr std::int64_t s = ms_per_second, mi = ms_per_minute, h = ms_per_hour, d = ms_per_day;
    static constexpr std::array<std::int64_t, 30> fixed{
        1,  2,      5,      10,      20,      50,      100, 200,   500,   s,     2 * s,  5 * s, 10 * s, 15 * s, 30 * s,
        mi, 2 * mi, 5 * mi, 10 * mi, 15 * mi, 30 * mi, h,   2 * h, 3 * h, 6 * h, 12 * h, d,     2 * d,  7 * d,  14 * d};
    for (const std::int64_t step : fixed)
        if (static_cast<double>(step) >= want) return fixed_step_ticks(t0, t1, step);
    constexpr double mean_month_ms = 2629746000.0;  // 365.2425 days / 12
    static constexpr std::array<std::int64_t, 4> month_steps{1, 2, 3, 6};
    for (const std::int64_t m : month_steps)
        if (static_cast<double>(m) * mean_month_ms >= want) return month_ticks(t0, t1, m);
    for (std::int64_t years = 1;; years *= 10)
        for (const std::int64_t k : {1, 2, 5})
            if (static_cast<double>(k * years * 12) * mean_month_ms >= want) return month_ticks(t0, t1, k * years * 12);
}

// ---------------------------------------------------------------------------------------
// SVG pieces

constexpr double page_w = 960;  // every chart is this wide (CSS scales it down on narrow screens)

struct frame {
    double x, y, w, h;
    double right() const { return x + w; }
    double bottom() const { return y + h; }
};

// Colours: read / compute / write, then one per sample trace (Tableau 10).
constexpr std::array<const char*, 10> palette{"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
                                              "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

void svg_open(std::string& out, double h, std::string_view label) {
    appendf(out, "<svg width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"", page_w, h,
            page_w, h);
    out += html_escape(label);
    out += "\">\n";
}

void svg_text(std::string& out, double x, double y, const char* anchor, const char* cls, std::string_view text) {
    appendf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" class=\"%s\">", x, y, anchor, cls);
    out += html_escape(text);
    out += "</text>\n";
}

void svg_line(std::string& out, double x1, double y1, double x2, double y2, const char* cls) {
    appendf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"%s\"/>\n", x1, y1, x2, y2, cls);
}

void svg_rect(std::string& out, double x, double y, double w, double h, const char* fill) {
    appendf(out, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"/>", x, y, w, h, fill);
}

// Horizontal grid lines and labels of a value axis on the left of `f`.
void value_axis(std::string& out, const frame& f, const linear_axis& a, std::string_view unit) {
    const tick_format label(a);
    for (const double v : axis_ticks(a)) {
        const double y = f.bottom() - (v - a.lo) / (a.hi - a.lo) * f.h;
        svg_line(out, f.x, y, f.right(), y, "grid");
        svg_text(out, f.x - 5, y + 3.5, "end", "tick", label(v) + std::string(unit));
    }
}

// Every k-th rank gets a label, k in 1, 2, 5, 10, 20... so that at most `max_labels` show.
std::size_t label_every(std::size_t n, std::size_t max_labels) {
    for (std::size_t k = 1;; k *= 10)
        for (const std::size_t m : {1, 2, 5})
            if (n <= max_labels * k * m) return k * m;
}

void rank_axis(std::string& out, const frame& f, std::size_t n) {
    const double slot = f.w / static_cast<double>(n);
    const std::size_t every = label_every(n, 24);
    for (std::size_t r = 0; r < n; r += every)
        svg_text(out, f.x + (static_cast<double>(r) + 0.5) * slot, f.bottom() + 14, "middle", "tick",
                 std::to_string(r));
    svg_text(out, f.x + f.w / 2, f.bottom() + 30, "middle", "axis", "rank");
}

void legend(std::string& out, double x, double y, const std::vector<std::pair<const char*, std::string>>& items) {
    for (const auto& [colour, name] : items) {
        svg_rect(out, x, y - 9, 10, 10, colour);
        out += '\n';
        svg_text(out, x + 14, y, "start", "legend", name);
        x += 24 + 7.0 * static_cast<double>(name.size());
    }
}

// ---------------------------------------------------------------------------------------
// Ranks

double rank_total_s(const report_rank& r) {
    return nonneg(r.read_s) + nonneg(r.compute_s) + nonneg(r.write_s);
}

void rank_time_chart(std::string& out, const std::vector<report_rank>& ranks, double imbalance, double planned) {
    constexpr double h = 290;
    const frame f{70, 40, page_w - 70 - 24, 200};
    svg_open(out, h, "seconds per rank: read, compute, write");
    double top = 0;
    for (const auto& r : ranks) top = std::max(top, rank_total_s(r));
    const linear_axis a = nice_axis(0, top > 0 ? top : 1, 5);
    value_axis(out, f, a, " s");
    legend(out, f.x, 18, {{palette[0], "read"}, {palette[1], "compute"}, {palette[2], "write"}});
    std::string figure = "compute max/mean " + fmt_fixed(imbalance, 2);
    if (std::isfinite(planned)) figure += " (planned " + fmt_fixed(planned, 2) + ")";
    svg_text(out, f.right(), 18, "end", "figure", figure);

    const double slot = f.w / static_cast<double>(ranks.size());
    const double bar_w = slot * (ranks.size() <= 64 ? 0.7 : 1.0);
    const auto px = [&](double s) { return s / (a.hi - a.lo) * f.h; };
    for (std::size_t i = 0; i < ranks.size(); ++i) {
        const auto& r = ranks[i];
        const double x = f.x + static_cast<double>(i) * slot + (slot - bar_w) / 2;
        appendf(out, "<g><title>rank %zu: read %s s, compute %s s, write %s s</title>", i,
                fmt_fixed(r.read_s, 3).c_str(), fmt_fixed(r.compute_s, 3).c_str(), fmt_fixed(r.write_s, 3).c_str());
        double y = f.bottom();
        const std::array<double, 3> parts{nonneg(r.read_s), nonneg(r.compute_s), nonneg(r.write_s)};
        for (std::size_t k = 0; k < parts.size(); ++k) {
            const double ph = px(parts[k]);
            y -= ph;
            if (ph > 0) svg_rect(out, x, y, bar_w, ph, palette[k]);
        }
        out += "</g>\n";
    }
    appendf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"frame\"/>\n", f.x, f.y, f.w, f.h);
    rank_axis(out, f, ranks.size());
    out += "</svg>\n";
}

void rank_points_chart(std::string& out, const std::vector<report_rank>& ranks) {
    constexpr double h = 270;
    const frame f{70, 24, page_w - 70 - 24, 200};
    svg_open(out, h, "points per rank, with the mean");
    double top = 0, total = 0;
    for (const auto& r : ranks) {
        top = std::max(top, static_cast<double>(r.points));
        total += static_cast<double>(r.points);
    }
    const double mean = total / static_cast<double>(ranks.size());
    const linear_axis a = nice_axis(0, top > 0 ? top : 1, 5);
    value_axis(out, f, a, "");
    svg_text(out, f.right(), 16, "end", "figure", "max/mean " + fmt_fixed(mean > 0 ? top / mean : 1.0, 2));

    const double slot = f.w / static_cast<double>(ranks.size());
    const double bar_w = slot * (ranks.size() <= 64 ? 0.7 : 1.0);
    for (std::size_t i = 0; i < ranks.size(); ++i) {
        const double ph = static_cast<double>(ranks[i].points) / (a.hi - a.lo) * f.h;
        const double x = f.x + static_cast<double>(i) * slot + (slot - bar_w) / 2;
        appendf(out, "<g><title>rank %zu: %s points, %s series</title>", i,
                format_grouped_count(ranks[i].points).c_str(), format_grouped_count(ranks[i].series).c_str());
        if (ph > 0) svg_rect(out, x, f.bottom() - ph, bar_w, ph, palette[4]);
        out += "</g>\n";
    }
    const double y_mean = f.bottom() - mean / (a.hi - a.lo) * f.h;
    svg_line(out, f.x, y_mean, f.right(), y_mean, "mean");
    svg_text(out, f.right() - 4, y_mean - 4, "end", "mean-label", "mean " + format_human_count(mean));
    appendf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"frame\"/>\n", f.x, f.y, f.w, f.h);
    rank_axis(out, f, ranks.size());
    out += "</svg>\n";
}

void rank_table(std::string& out, const std::vector<report_rank>& ranks, const std::vector<std::string>& hosts) {
    out +=
        "<details><summary>Per-rank table</summary>\n<table>\n<thead><tr><th>rank</th><th>host</th><th>series</th>"
        "<th>points</th><th>read s</th><th>compute s</th><th>write s</th></tr></thead>\n<tbody>\n";
    for (std::size_t i = 0; i < ranks.size(); ++i) {
        const auto& r = ranks[i];
        appendf(out, "<tr><td>%zu</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n", i,
                html_escape(i < hosts.size() ? hosts[i] : "?").c_str(), format_grouped_count(r.series).c_str(),
                format_grouped_count(r.points).c_str(), fmt_fixed(r.read_s, 3).c_str(),
                fmt_fixed(r.compute_s, 3).c_str(), fmt_fixed(r.write_s, 3).c_str());
    }
    out += "</tbody>\n</table>\n</details>\n";
}

void ranks_section(std::string& out, const run_report_data& d) {
    out += "<section id=\"ranks\">\n<h2>Ranks</h2>\n";
    if (d.rank_work.empty()) {
        out += "<p class=\"none\">No per-rank figures.</p>\n</section>\n";
        return;
    }
    const double imbalance = compute_imbalance(d.rank_work);
    out += "<figure>\n";
    rank_time_chart(out, d.rank_work, imbalance, d.planned_imbalance);
    out +=
        "<figcaption>Seconds per rank: reading its series, computing every step, writing its part of the result. "
        "Compute imbalance (max/mean): <b>" +
        fmt_fixed(imbalance, 3) + "</b>";
    if (std::isfinite(d.planned_imbalance))
        out += "; the partition planned " + fmt_fixed(d.planned_imbalance, 3) + " (estimated cost)";
    out += ".</figcaption>\n</figure>\n<figure>\n";
    rank_points_chart(out, d.rank_work);
    out += "<figcaption>Input points per rank; the dashed line is the mean.</figcaption>\n</figure>\n";
    rank_table(out, d.rank_work, d.rank_hosts);
    out += "</section>\n";
}

// ---------------------------------------------------------------------------------------
// Steps

void steps_section(std::string& out, const run_report_data& d) {
    out += "<section id=\"steps\">\n<h2>Steps</h2>\n";
    if (d.steps.empty()) {
        out += "<p class=\"none\">No steps.</p>\n</section>\n";
        return;
    }
    out +=
        "<table>\n<thead><tr><th>step</th><th>op</th><th>rows</th><th>points in</th><th>points out</th>"
        "<th>empty</th><th>seconds</th><th>M points/s</th></tr></thead>\n<tbody>\n";
    for (const auto& s : d.steps) {
        const double rate = s.seconds > 0 ? static_cast<double>(s.input_points) / s.seconds / 1e6
                                          : std::numeric_limits<double>::quiet_NaN();
        out += "<tr><td>" + html_escape(s.name) + (s.kept ? "" : " <span class=\"note\">(not kept)</span>") +
               "</td><td>" + html_escape(s.op) + "</td>";
        appendf(out, "<td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
                format_grouped_count(s.rows).c_str(), format_grouped_count(s.input_points).c_str(),
                format_grouped_count(s.points).c_str(), format_grouped_count(s.empty).c_str(),
                fmt_fixed(s.seconds, 3).c_str(), fmt_fixed(rate, 2).c_str());
    }
    out +=
        "</tbody>\n</table>\n<p class=\"note\">seconds: the slowest rank; M points/s: input points per second of "
        "that rank's time.</p>\n</section>\n";
}

// ---------------------------------------------------------------------------------------
// Sample series: one panel per trace, stacked on a shared time axis.

constexpr double panel_left = 72, panel_right = 56, panel_label_h = 16, panel_plot_h = 72, panel_gap = 10;
constexpr double time_axis_h = 24;

std::size_t trace_size(const report_trace& tr) {
    return std::min(tr.time.size(), tr.value.size());
}

series_view view_of(const report_trace& tr) {
    const std::size_t n = trace_size(tr);
    return {std::span<const std::int64_t>(tr.time.data(), n), std::span<const double>(tr.value.data(), n)};
}

// The union of the traces' time ranges; false when no trace has a point. Kept within the
// valid timestamps (±2^62 ms), so that tick arithmetic cannot overflow; a point beyond is
// drawn at the edge.
bool time_range(const report_sample& s, std::int64_t& t0, std::int64_t& t1) {
    constexpr std::int64_t limit = std::int64_t{1} << 62;
    bool any = false;
    const auto widen = [&](std::span<const std::int64_t> time) {
        if (time.empty()) return;
        t0 = std::clamp(any ? std::min(t0, time.front()) : time.front(), -limit, limit);
        t1 = std::clamp(any ? std::max(t1, time.back()) : time.back(), -limit, limit);
        any = true;
    };
    for (const auto& tr : s.traces) widen(std::span<const std::int64_t>(tr.time.data(), trace_size(tr)));
    for (const auto& p : s.profiles)
        widen(std::span<const std::int64_t>(p.time.data(), std::min(p.time.size(), p.distance.size())));
    if (any && t0 == t1) {  // one instant: a minute either side keeps it in the middle
        t0 -= ms_per_minute;
        t1 += ms_per_minute;
    }
    return any;
}

// Panel title: the label, the number of points and of NaN among them.
std::string trace_caption(const report_trace& tr, std::size_t finite) {
    const std::size_t n = trace_size(tr);
    std::string s = tr.label + " \xC2\xB7 " + plural(n, "point", "points", true);
    if (finite < n) s += " (" + format_grouped_count(n - finite) + " missing)";
    return s;
}

void plot_runs(std::string& out, const std::vector<std::vector<plot_point>>& runs, const frame& f, std::int64_t t0,
               std::int64_t t1, const linear_axis& a, const char* colour) {
    const double span = static_cast<double>(t1) - static_cast<double>(t0);
    const auto px = [&](const plot_point& p) {
        const double x = f.x + (p.t - static_cast<double>(t0)) / span * f.w;
        const double y = f.bottom() - (p.v - a.lo) / (a.hi - a.lo) * f.h;
        return std::pair{std::clamp(x, f.x, f.right()), std::clamp(y, f.y - 1, f.bottom() + 1)};
    };
    std::string path, dots;
    for (const auto& run : runs) {
        if (run.size() == 1) {  // a lone point between gaps: a line of one point would not show
            const auto [x, y] = px(run.front());
            appendf(dots, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"%s\"/>\n", x, y, colour);
            continue;
        }
        for (std::size_t i = 0; i < run.size(); ++i) {
            const auto [x, y] = px(run[i]);
            appendf(path, i == 0 ? "M%.1f %.1f" : i == 1 ? "L%.1f %.1f" : " %.1f %.1f", x, y);
        }
    }
    if (!path.empty()) appendf(out, "<path class=\"trace\" stroke=\"%s\" d=\"%s\"/>\n", colour, path.c_str());
    out += dots;
}

// A window marked on a panel: [t0, t1] shaded in the colour of its kind.
struct shade {
    std::int64_t t0, t1;
    const char* cls;    // CSS class: shade-motif or shade-discord
    std::string title;  // the tooltip
};

void draw_shades(std::string& out, const std::vector<shade>& shades, const frame& f, std::int64_t t0, std::int64_t t1) {
    const double span = static_cast<double>(t1) - static_cast<double>(t0);
    for (const auto& sh : shades) {
        double x0 = f.x + (static_cast<double>(sh.t0) - static_cast<double>(t0)) / span * f.w;
        double x1 = f.x + (static_cast<double>(sh.t1) - static_cast<double>(t0)) / span * f.w;
        x0 = std::clamp(x0, f.x, f.right());
        x1 = std::clamp(x1, f.x, f.right());
        if (x1 - x0 < 2) {  // a short window stays visible: 2 px centred on it
            const double mid = std::clamp((x0 + x1) / 2, f.x + 1, f.right() - 1);
            x0 = mid - 1;
            x1 = mid + 1;
        }
        appendf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"%s\"><title>", x0, f.y,
                x1 - x0, f.h, sh.cls);
        out += html_escape(sh.title);
        out += "</title></rect>\n";
    }
}

void trace_panel(std::string& out, const report_trace& tr, const std::string& caption_prefix, const frame& f,
                 std::int64_t t0, std::int64_t t1, const time_ticks& ticks, const char* colour,
                 const std::vector<shade>& shades = {}) {
    const series_view s = view_of(tr);
    double lo = 0, hi = 0;
    std::size_t finite = 0;
    for (const double v : s.value)
        if (std::isfinite(v)) {
            lo = finite == 0 ? v : std::min(lo, v);
            hi = finite == 0 ? v : std::max(hi, v);
            ++finite;
        }
    svg_text(out, f.x, f.y - 4, "start", "panel", caption_prefix + trace_caption(tr, finite));
    const double span = static_cast<double>(t1) - static_cast<double>(t0);
    for (const std::int64_t t : ticks.at) {
        const double x = f.x + (static_cast<double>(t) - static_cast<double>(t0)) / span * f.w;
        svg_line(out, x, f.y, x, f.bottom(), "grid");
    }
    draw_shades(out, shades, f, t0, t1);
    if (finite == 0) {
        svg_text(out, f.x + f.w / 2, f.y + f.h / 2 + 4, "middle", "empty",
                 s.empty() ? "no points" : "no values (every point is missing)");
    } else {
        const linear_axis a = nice_axis(lo, hi, 3);
        value_axis(out, f, a, "");
        plot_runs(out, downsample_min_max(s, t0, t1, static_cast<int>(f.w), plot_gap_ms(s.time)), f, t0, t1, a, colour);
    }
    appendf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"frame\"/>\n", f.x, f.y, f.w, f.h);
}

void time_axis_labels(std::string& out, const time_ticks& ticks, double x0, double w, double y, std::int64_t t0,
                      std::int64_t t1) {
    const double span = static_cast<double>(t1) - static_cast<double>(t0);
    for (const std::int64_t t : ticks.at) {
        const double x = x0 + (static_cast<double>(t) - static_cast<double>(t0)) / span * w;
        svg_line(out, x, y - 14, x, y - 10, "axisline");
        svg_text(out, x, y, "middle", "tick", time_label(t, ticks.precision));
    }
}

// The end of the window of `m` points that starts at `start`: the time of its m-th point in
// `time` (the window's own series), clamped to the last point; `start` when it is not there.
std::int64_t window_end(std::span<const std::int64_t> time, std::int64_t start, std::size_t m) {
    const auto it = std::lower_bound(time.begin(), time.end(), start);
    if (it == time.end() || m == 0) return start;
    const auto i = static_cast<std::size_t>(it - time.begin());
    return std::max(start, time[std::min(i + m - 1, time.size() - 1)]);
}

// The motif pair and discord of a profile as shaded windows; their ends come from the trace
// the profile was computed on, else from the profile's own times.
std::vector<shade> profile_shades(const report_matrix_profile& p, const report_sample& s) {
    std::span<const std::int64_t> time(p.time.data(), std::min(p.time.size(), p.distance.size()));
    for (const auto& tr : s.traces)
        if (tr.label == p.input) {
            time = std::span<const std::int64_t>(tr.time.data(), trace_size(tr));
            break;
        }
    std::vector<shade> shades;
    const auto add = [&](std::int64_t start, const char* cls, const char* what) {
        if (start == report_no_time) return;
        shades.push_back({start, window_end(time, start, p.window), cls,
                          std::string(what) + " window from " + time_label(start, time_precision::millisecond) + " (" +
                              plural(p.window, "point", "points", true) + ")"});
    };
    add(p.motif_a_time, "shade-motif", "top motif pair, first");
    add(p.motif_b_time, "shade-motif", "top motif pair, second");
    add(p.discord_time, "shade-discord", "top discord");
    return shades;
}

// A profile as a trace: excluded windows (NaN, infinite) become NaN, which breaks the line.
report_trace profile_trace(const report_matrix_profile& p) {
    report_trace tr;
    tr.label = "matrix profile";
    const std::size_t n = std::min(p.time.size(), p.distance.size());
    tr.time.assign(p.time.begin(), p.time.begin() + static_cast<std::ptrdiff_t>(n));
    tr.value.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
        tr.value.push_back(std::isfinite(p.distance[i]) ? p.distance[i] : std::numeric_limits<double>::quiet_NaN());
    return tr;
}

void sample_chart(std::string& out, const report_sample& s) {
    std::int64_t t0 = 0, t1 = 1;
    const bool has_points = time_range(s, t0, t1);
    const double plot_w = page_w - panel_left - panel_right;
    const time_ticks ticks = has_points ? make_time_ticks(t0, t1, static_cast<int>(plot_w / 150)) : time_ticks{};
    const double block = panel_label_h + panel_plot_h + panel_gap;
    const double h = static_cast<double>(s.traces.size() + s.profiles.size()) * block + time_axis_h;
    svg_open(out, h, "series " + s.id + " before and after each step");
    // Each trace that a profile was computed on shows that profile's windows too.
    std::vector<std::vector<shade>> shades_of(s.profiles.size());
    for (std::size_t k = 0; k < s.profiles.size(); ++k) shades_of[k] = profile_shades(s.profiles[k], s);
    for (std::size_t i = 0; i < s.traces.size(); ++i) {
        const frame f{panel_left, static_cast<double>(i) * block + panel_label_h, plot_w, panel_plot_h};
        std::vector<shade> shades;
        for (std::size_t k = 0; k < s.profiles.size(); ++k)
            if (s.profiles[k].input == s.traces[i].label)
                shades.insert(shades.end(), shades_of[k].begin(), shades_of[k].end());
        trace_panel(out, s.traces[i], "", f, t0, t1, ticks, palette[i % palette.size()], shades);
    }
    for (std::size_t k = 0; k < s.profiles.size(); ++k) {
        const auto& p = s.profiles[k];
        const frame f{panel_left, static_cast<double>(s.traces.size() + k) * block + panel_label_h, plot_w,
                      panel_plot_h};
        std::string prefix = p.step + " (of " + p.input + ", window " + format_grouped_count(p.window) + "): ";
        trace_panel(out, profile_trace(p), prefix, f, t0, t1, ticks, "#555", shades_of[k]);
        // What the shades mean, at the panel's top right.
        double x = f.right() - 190;
        for (const auto& [cls, name] :
             {std::pair{"shade-motif", "motif pair"}, std::pair{"shade-discord", "discord"}}) {
            appendf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" class=\"%s\"/>\n", x, f.y - 13, cls);
            svg_text(out, x + 14, f.y - 4, "start", "legend", name);
            x += 100;
        }
    }
    time_axis_labels(out, ticks, panel_left, plot_w, h - 6, t0, t1);
    out += "</svg>\n";
}

void samples_section(std::string& out, const run_report_data& d) {
    out += "<section id=\"samples\">\n<h2>Sample series</h2>\n";
    if (d.samples.empty())
        out += "<p class=\"none\">No sample series.</p>\n";
    else
        out +=
            "<p class=\"note\">Each series as read (source) and after each series step, on one time axis (UTC). "
            "Long series are drawn with the minimum and maximum of each pixel column; gaps in the lines are "
            "missing values. A matrix profile (the distance of each window to its nearest neighbour elsewhere "
            "in the series) is drawn under its series, with the top motif pair's windows shaded green and the "
            "top discord's red, on the profile and on the trace it was computed on.</p>\n";
    for (const auto& s : d.samples) {
        out += "<figure class=\"sample\">\n<h3>" + html_escape(s.id) + "</h3>\n";
        if (s.traces.empty() && s.profiles.empty())
            out += "<p class=\"none\">No data for this series.</p>\n";
        else
            sample_chart(out, s);
        out += "</figure>\n";
    }
    out += "</section>\n";
}

// ---------------------------------------------------------------------------------------
// Dataset-wide results

// Shortens a name for an axis or a legend to `max` characters (UTF-8 aware enough: it cuts
// before a continuation byte), marking the cut with an ellipsis.
std::string shorten(std::string_view name, std::size_t max) {
    if (name.size() <= max) return std::string(name);
    std::size_t cut = max - 1;
    while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;
    return std::string(name.substr(0, cut)) + "\xE2\x80\xA6";
}

// The diverging scale of a correlation: ColorBrewer's RdBu from -1 (blue) through 0 (white)
// to +1 (red), in 20 steps of 0.1, so that one <path> per step draws a large heatmap.
constexpr std::size_t heat_steps = 20;
constexpr std::array<std::array<int, 3>, 11> rdbu{{{5, 48, 97},
                                                   {33, 102, 172},
                                                   {67, 147, 195},
                                                   {146, 197, 222},
                                                   {209, 229, 240},
                                                   {247, 247, 247},
                                                   {253, 219, 199},
                                                   {244, 165, 130},
                                                   {214, 96, 77},
                                                   {178, 24, 43},
                                                   {103, 0, 31}}};
constexpr const char* heat_nan_colour = "#d0d0d0";

std::size_t heat_step_of(double r) {
    const double k = std::floor((std::clamp(r, -1.0, 1.0) + 1) / 2 * heat_steps);
    return std::min(static_cast<std::size_t>(k), heat_steps - 1);
}

std::string heat_colour(std::size_t step) {
    const double pos = (static_cast<double>(step) + 0.5) / heat_steps * (rdbu.size() - 1);
    const auto i = std::min(static_cast<std::size_t>(pos), rdbu.size() - 2);
    const double w = pos - static_cast<double>(i);
    std::string s = "#";
    for (int c = 0; c < 3; ++c)
        appendf(s, "%02x", static_cast<int>(std::lround(rdbu[i][c] * (1 - w) + rdbu[i + 1][c] * w)));
    return s;
}

// Cells per side below which the heatmap names its series on the axes and gives each cell a
// tooltip (one <rect> each); above, one <path> per colour step keeps the page small.
constexpr std::size_t heat_labelled_cells = 40;

void heatmap_chart(std::string& out, const report_heatmap& h) {
    const std::size_t n = h.cells();
    const std::vector<std::size_t> order = heatmap_order(h);
    const bool labelled = n <= heat_labelled_cells && h.labels.size() == n;
    const double left = labelled ? 200 : 40, top = labelled ? 160 : 34;
    const double side = std::min(560.0, page_w - left - 140);
    const double cell = side / static_cast<double>(n);
    const double height = top + side + 30;
    svg_open(out, height, "correlation heatmap of step " + h.step);
    const auto name_of = [&](std::size_t k) {
        const std::uint64_t size = h.block_start[k + 1] - h.block_start[k];
        std::string s = k < h.labels.size() ? h.labels[k] : "series " + std::to_string(h.block_start[k]);
        if (size > 1) s += " (+" + format_grouped_count(size - 1) + ")";
        return s;
    };
    if (labelled) {
        for (std::size_t p = 0; p < n; ++p) {
            const std::string name = shorten(name_of(order[p]), 30);
            const double mid = (static_cast<double>(p) + 0.5) * cell;
            svg_text(out, left - 6, top + mid + 3.5, "end", "tick", name);
            appendf(out,
                    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"start\" class=\"tick\" "
                    "transform=\"rotate(-55 %.1f %.1f)\">",
                    left + mid + 3, top - 6, left + mid + 3, top - 6);
            out += html_escape(name);
            out += "</text>\n";
        }
        for (std::size_t p = 0; p < n; ++p)
            for (std::size_t q = 0; q < n; ++q) {
                const double v = h.value[order[p] * n + order[q]];
                appendf(out, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"><title>",
                        left + static_cast<double>(q) * cell, top + static_cast<double>(p) * cell, cell, cell,
                        std::isfinite(v) ? heat_colour(heat_step_of(v)).c_str() : heat_nan_colour);
                out += html_escape(name_of(order[p]) + " \xC3\x97 " + name_of(order[q]) + ": " +
                                   (std::isfinite(v) ? fmt_fixed(v, 3) : std::string("NaN")));
                out += "</title></rect>\n";
            }
    } else {
        svg_text(out, left + side / 2, top - 10, "middle", "axis", "series, clustered order");
        appendf(
            out,
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"axis\" transform=\"rotate(-90 %.1f %.1f)\">",
            left - 12, top + side / 2, left - 12, top + side / 2);
        out += "series, clustered order</text>\n";
        // One path per colour step (and one for NaN), a rectangle per run of cells of one
        // step along a row: M x y h w v h h -w z. Runs keep block structure cheap.
        std::vector<std::string> paths(heat_steps + 1);
        const auto step_at = [&](std::size_t p, std::size_t q) {
            const double v = h.value[order[p] * n + order[q]];
            return std::isfinite(v) ? heat_step_of(v) : heat_steps;
        };
        for (std::size_t p = 0; p < n; ++p)
            for (std::size_t q = 0; q < n;) {
                const std::size_t k = step_at(p, q);
                std::size_t e = q + 1;
                while (e < n && step_at(p, e) == k) ++e;
                const double w = static_cast<double>(e - q) * cell;
                appendf(paths[k], "M%.1f %.1fh%.2fv%.2fh-%.2fz", left + static_cast<double>(q) * cell,
                        top + static_cast<double>(p) * cell, w, cell, w);
                q = e;
            }
        for (std::size_t k = 0; k <= heat_steps; ++k)
            if (!paths[k].empty())
                appendf(out, "<path fill=\"%s\" shape-rendering=\"crispEdges\" d=\"%s\"/>\n",
                        k < heat_steps ? heat_colour(k).c_str() : heat_nan_colour, paths[k].c_str());
    }
    appendf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"frame\"/>\n", left, top, side,
            side);
    // The legend: the 20 steps from +1 at the top to -1 at the bottom, then NaN.
    const double lx = left + side + 36, ly = top, lh = std::min(side, 300.0), step_h = lh / heat_steps;
    svg_text(out, lx, ly - 8, "start", "legend", h.matrix);
    for (std::size_t k = 0; k < heat_steps; ++k)
        svg_rect(out, lx, ly + static_cast<double>(heat_steps - 1 - k) * step_h, 16, step_h + 0.2,
                 heat_colour(k).c_str());
    out += '\n';
    for (const double v : {1.0, 0.5, 0.0, -0.5, -1.0}) {
        const double y = ly + (1 - v) / 2 * lh;
        svg_line(out, lx + 16, y, lx + 20, y, "axisline");
        svg_text(out, lx + 23, y + 3.5, "start", "tick", v == 0 ? "0" : fmt_fixed(v, 1));
    }
    svg_rect(out, lx, ly + lh + 10, 16, 10, heat_nan_colour);
    svg_text(out, lx + 23, ly + lh + 19, "start", "tick", "NaN");
    out += "</svg>\n";
}

void correlation_figure(std::string& out, const report_heatmap& h) {
    out += "<figure>\n<h3>" + html_escape(h.step) + " \xC2\xB7 correlation</h3>\n";
    const std::size_t n = h.cells();
    if (n == 0 || h.value.size() != n * n || h.block_start.back() != h.series) {
        out += "<p class=\"none\">No matrix to draw.</p>\n</figure>\n";
        return;
    }
    heatmap_chart(out, h);
    out += "<figcaption>" + html_escape(h.matrix) + " of " + format_grouped_count(h.series) + " " + html_escape(h.axis);
    if (n < h.series)
        out += ", drawn as " + std::to_string(n) + " \xC3\x97 " + std::to_string(n) +
               " cells: each cell is the mean of the finite values of a block of about " +
               format_grouped_count((h.series + n - 1) / n) + " \xC3\x97 " +
               format_grouped_count((h.series + n - 1) / n) + " " + html_escape(h.axis) +
               " (consecutive in the result's order), named by the block's first";
    out +=
        ". Rows and columns are in the leaf order of an average-linkage clustering on 1 \xE2\x88\x92 r, so that "
        "those that move together sit together; grey cells have no value (too little overlap or a constant "
        "series).</figcaption>\n</figure>\n";
}

// Bars of values over categories 1..n (or 0..n-1), with an optional line over them.
struct bar_chart {
    std::string label;  // aria label
    std::vector<double> bars;
    std::vector<double> line;         // empty: none
    std::string bar_name, line_name;  // legend entries
    std::string x_axis;
    std::size_t first_category = 1;
    bool percent = false;
    std::vector<std::string> titles;  // one per bar (empty: none)
};

void draw_bar_chart(std::string& out, const bar_chart& c) {
    constexpr double h = 280;
    const frame f{70, 34, page_w - 70 - 24, 190};
    svg_open(out, h, c.label);
    double top = 0;
    for (const double v : c.bars) top = std::max(top, nonneg(v));
    for (const double v : c.line) top = std::max(top, nonneg(v));
    const linear_axis a =
        c.percent ? linear_axis{0, std::max(1.0, std::ceil(top * 5) / 5), 0.2} : nice_axis(0, top > 0 ? top : 1, 5);
    const tick_format label(c.percent ? linear_axis{0, a.hi * 100, 20} : a);
    for (const double v : axis_ticks(a)) {
        const double y = f.bottom() - (v - a.lo) / (a.hi - a.lo) * f.h;
        svg_line(out, f.x, y, f.right(), y, "grid");
        svg_text(out, f.x - 5, y + 3.5, "end", "tick", c.percent ? label(v * 100) + "%" : label(v));
    }
    std::vector<std::pair<const char*, std::string>> items{{palette[0], c.bar_name}};
    if (!c.line.empty()) items.push_back({palette[1], c.line_name});
    legend(out, f.x, 18, items);
    const std::size_t n = c.bars.size();
    const double slot = f.w / static_cast<double>(std::max<std::size_t>(n, 1));
    const double bar_w = slot * (n <= 64 ? 0.7 : 1.0);
    const auto y_of = [&](double v) { return f.bottom() - nonneg(v) / (a.hi - a.lo) * f.h; };
    for (std::size_t i = 0; i < n; ++i) {
        const double y = y_of(c.bars[i]);
        out += "<g>";
        if (i < c.titles.size()) out += "<title>" + html_escape(c.titles[i]) + "</title>";
        if (f.bottom() - y > 0)
            svg_rect(out, f.x + static_cast<double>(i) * slot + (slot - bar_w) / 2, y, bar_w, f.bottom() - y,
                     palette[0]);
        out += "</g>\n";
    }
    if (!c.line.empty()) {
        std::string path;
        for (std::size_t i = 0; i < c.line.size() && i < n; ++i) {
            const double x = f.x + (static_cast<double>(i) + 0.5) * slot, y = y_of(c.line[i]);
            appendf(path, i == 0 ? "M%.1f %.1f" : " L%.1f %.1f", x, y);
            if (n <= 64) appendf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>\n", x, y, palette[1]);
        }
        appendf(out, "<path class=\"trace\" stroke=\"%s\" d=\"%s\"/>\n", palette[1], path.c_str());
    }
    appendf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"frame\"/>\n", f.x, f.y, f.w, f.h);
    const std::size_t every = label_every(n, 24);
    for (std::size_t i = 0; i < n; i += every)
        svg_text(out, f.x + (static_cast<double>(i) + 0.5) * slot, f.bottom() + 14, "middle", "tick",
                 std::to_string(i + c.first_category));
    svg_text(out, f.x + f.w / 2, f.bottom() + 30, "middle", "axis", c.x_axis);
    out += "</svg>\n";
}

// Components drawn at most: the rest are listed as a count.
constexpr std::size_t pca_max_bars = 50;

void pca_figure(std::string& out, const report_pca& p) {
    out += "<figure>\n<h3>" + html_escape(p.step) + " \xC2\xB7 pca</h3>\n";
    if (p.ratio.empty()) {
        out += "<p class=\"none\">No component.</p>\n</figure>\n";
        return;
    }
    bar_chart c;
    c.label = "explained variance per component of step " + p.step;
    const std::size_t n = std::min(p.ratio.size(), pca_max_bars);
    c.bars.assign(p.ratio.begin(), p.ratio.begin() + static_cast<std::ptrdiff_t>(n));
    c.line.assign(p.cumulative.begin(),
                  p.cumulative.begin() + static_cast<std::ptrdiff_t>(std::min(n, p.cumulative.size())));
    c.bar_name = "share of the variance";
    c.line_name = "cumulative";
    c.x_axis = "component";
    c.percent = true;
    for (std::size_t i = 0; i < n; ++i)
        c.titles.push_back("component " + std::to_string(i + 1) + ": " + fmt_fixed(100 * p.ratio[i], 2) + "% (" +
                           (i < p.cumulative.size() ? fmt_fixed(100 * p.cumulative[i], 2) : std::string("?")) +
                           "% cumulative)");
    draw_bar_chart(out, c);
    out += "<figcaption>Share of the total variance along each component (bars) and up to it (line)";
    if (n < p.ratio.size())
        out += "; the first " + std::to_string(n) + " of " + std::to_string(p.ratio.size()) + " components";
    out += ".</figcaption>\n</figure>\n";
}

// Centroids drawn at most, and per row of small plots.
constexpr std::size_t kmeans_max_centroids = 24;
constexpr std::size_t kmeans_per_row = 4;

// A line of `values` over their positions, fit into `f` with the value axis `a`.
void index_line(std::string& out, std::span<const double> values, const frame& f, const linear_axis& a,
                const char* colour, const char* cls = "trace") {
    if (values.size() < 2) return;
    std::vector<std::int64_t> index(values.size());
    for (std::size_t i = 0; i < index.size(); ++i) index[i] = static_cast<std::int64_t>(i);
    const auto t1 = static_cast<std::int64_t>(values.size() - 1);
    const auto runs = downsample_min_max({index, values}, 0, t1, static_cast<int>(f.w));
    std::string path;
    const auto px = [&](const plot_point& p) {
        const double x = f.x + p.t / static_cast<double>(t1) * f.w;
        const double y = f.bottom() - (p.v - a.lo) / (a.hi - a.lo) * f.h;
        return std::pair{x, std::clamp(y, f.y - 1, f.bottom() + 1)};
    };
    for (const auto& run : runs)
        for (std::size_t i = 0; i < run.size(); ++i) {
            const auto [x, y] = px(run[i]);
            appendf(path, i == 0 ? "M%.1f %.1f" : " L%.1f %.1f", x, y);
        }
    if (!path.empty()) appendf(out, "<path class=\"%s\" stroke=\"%s\" d=\"%s\"/>\n", cls, colour, path.c_str());
}

void kmeans_figure(std::string& out, const report_kmeans& k) {
    out += "<figure>\n<h3>" + html_escape(k.step) + " \xC2\xB7 kmeans</h3>\n";
    if (k.sizes.empty()) {
        out += "<p class=\"none\">No cluster.</p>\n</figure>\n";
        return;
    }
    bar_chart c;
    c.label = "series per cluster of step " + k.step;
    std::uint64_t total = 0;
    for (const auto s : k.sizes) total += s;
    for (std::size_t i = 0; i < k.sizes.size(); ++i) {
        c.bars.push_back(static_cast<double>(k.sizes[i]));
        c.titles.push_back("cluster " + std::to_string(i) + ": " + plural(k.sizes[i], "series", "series", true));
    }
    c.bar_name = "series in the cluster";
    c.x_axis = "cluster";
    c.first_category = 0;
    draw_bar_chart(out, c);
    out += "<figcaption>" + plural(total, "series", "series", true) + " in " +
           plural(k.sizes.size(), "cluster", "clusters") + ".</figcaption>\n";

    const std::size_t n = std::min({k.centroids.size(), k.sizes.size(), kmeans_max_centroids});
    if (n == 0) {
        out += "</figure>\n";
        return;
    }
    // Small multiples, each on its own value axis: centroids of series of different units
    // (raw values of several metrics) would flatten each other on a shared one.
    const std::size_t rows = (n + kmeans_per_row - 1) / kmeans_per_row;
    const double cell_w = page_w / kmeans_per_row, cell_h = 110;
    svg_open(out, static_cast<double>(rows) * cell_h + 6, "centroids of step " + k.step);
    for (std::size_t i = 0; i < n; ++i) {
        const frame f{static_cast<double>(i % kmeans_per_row) * cell_w + 44,
                      static_cast<double>(i / kmeans_per_row) * cell_h + 20, cell_w - 56, cell_h - 34};
        svg_text(out, f.x, f.y - 5, "start", "panel",
                 "cluster " + std::to_string(i) + " \xC2\xB7 " + plural(k.sizes[i], "series", "series", true));
        double lo = 0, hi = 0;
        bool any = false;
        for (const double v : k.centroids[i])
            if (std::isfinite(v)) {
                lo = any ? std::min(lo, v) : v;
                hi = any ? std::max(hi, v) : v;
                any = true;
            }
        const linear_axis a = nice_axis(lo, hi, 3);
        const tick_format label(a);
        for (const double v : axis_ticks(a)) {
            const double y = f.bottom() - (v - a.lo) / (a.hi - a.lo) * f.h;
            svg_line(out, f.x, y, f.right(), y, "grid");
            svg_text(out, f.x - 4, y + 3.5, "end", "tick", label(v));
        }
        index_line(out, k.centroids[i], f, a, palette[i % palette.size()]);
        appendf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"frame\"/>\n", f.x, f.y, f.w,
                f.h);
    }
    out += "</svg>\n<figcaption>Centroid of each cluster over its " +
           html_escape(k.feature_axis.empty() ? "features" : k.feature_axis) + " axis";
    if (n < k.sizes.size())
        out += "; the first " + std::to_string(n) + " of " + std::to_string(k.sizes.size()) + " clusters";
    out += ".</figcaption>\n</figure>\n";
}

// Windows overlaid at most (pattern matches, motif members).
constexpr std::size_t max_overlays = 12;

// z-normalised copy (population std); a constant or empty window gives zeros, NaN stays NaN.
std::vector<double> znorm(std::span<const double> v) {
    double sum = 0, sq = 0;
    std::size_t n = 0;
    for (const double x : v)
        if (std::isfinite(x)) {
            sum += x;
            ++n;
        }
    const double mean = n > 0 ? sum / static_cast<double>(n) : 0;
    for (const double x : v)
        if (std::isfinite(x)) sq += (x - mean) * (x - mean);
    const double sd = n > 0 ? std::sqrt(sq / static_cast<double>(n)) : 0;
    std::vector<double> out(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) out[i] = !std::isfinite(v[i]) ? v[i] : sd > 0 ? (v[i] - mean) / sd : 0.0;
    return out;
}

// Lines of windows of any lengths stretched over one x axis (the window, start to end),
// z-normalised, with `lead` (the pattern or the motif's centre) drawn thick and dark.
void overlay_chart(std::string& out, const std::string& aria, const std::vector<double>& lead,
                   const std::string& lead_name, const std::vector<report_window>& windows) {
    const std::size_t n = std::min(windows.size(), max_overlays);
    const double legend_h = 16;
    const double h = 40 + 220 + 30;
    const frame f{56, 30, page_w - 56 - 300, 220};
    svg_open(out, h, aria);
    std::vector<std::vector<double>> lines;
    for (std::size_t i = 0; i < n; ++i) lines.push_back(znorm(windows[i].values));
    const std::vector<double> lead_z = znorm(lead);
    double lo = -1, hi = 1;
    for (const auto* l : {&lead_z})
        for (const double v : *l)
            if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    for (const auto& l : lines)
        for (const double v : l)
            if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    const linear_axis a = nice_axis(lo, hi, 4);
    value_axis(out, f, a, "");
    for (std::size_t i = 0; i < n; ++i) index_line(out, lines[i], f, a, palette[i % palette.size()], "overlay");
    index_line(out, lead_z, f, a, "#222", "overlay-lead");
    appendf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"frame\"/>\n", f.x, f.y, f.w, f.h);
    svg_text(out, f.x + f.w / 2, f.bottom() + 16, "middle", "axis", "start \xE2\x86\x92 end of the window");
    svg_text(out, f.x, f.y - 10, "start", "axis", "z-normalised value");
    // The legend: the lead, then each window with its distance.
    double y = f.y + 4;
    const double lx = f.right() + 16;
    if (!lead_z.empty()) {
        svg_line(out, lx, y - 4, lx + 16, y - 4, "lead-key");
        svg_text(out, lx + 22, y, "start", "legend", shorten(lead_name, 38));
        y += legend_h;
    }
    for (std::size_t i = 0; i < n; ++i) {
        const auto& w = windows[i];
        svg_rect(out, lx + 3, y - 9, 10, 10, palette[i % palette.size()]);
        out += '\n';
        std::string name = (w.rank > 0 ? "#" + std::to_string(w.rank) + " " : std::string()) + shorten(w.id, 26) +
                           "  d=" + fmt_fixed(w.distance, 3);
        if (w.values.empty()) name += " (no values)";
        svg_text(out, lx + 22, y, "start", "legend", name);
        y += legend_h;
    }
    out += "</svg>\n";
}

void window_table(std::string& out, const std::vector<report_window>& windows, const char* first_column) {
    out += "<details><summary>Windows</summary>\n<table>\n<thead><tr><th>";
    out += first_column;
    out += "</th><th>series</th><th>start</th><th>end</th><th>distance</th></tr></thead>\n<tbody>\n";
    for (const auto& w : windows) {
        out += "<tr><td>" + (w.rank > 0 ? std::to_string(w.rank) : std::string("centre")) + "</td><td>" +
               html_escape(w.id) + "</td><td>" + time_label(w.start_time, time_precision::millisecond) + "</td><td>" +
               time_label(w.end_time, time_precision::millisecond) + "</td><td>" + fmt_fixed(w.distance, 4) +
               "</td></tr>\n";
    }
    out += "</tbody>\n</table>\n</details>\n";
}

void pattern_figure(std::string& out, const report_pattern_search& p) {
    out += "<figure>\n<h3>" + html_escape(p.step) + " \xC2\xB7 pattern_search</h3>\n";
    if (p.matches.empty()) {
        out += "<p class=\"none\">No match.</p>\n</figure>\n";
        return;
    }
    overlay_chart(out, "best matches of the pattern of step " + p.step, p.pattern,
                  "pattern (" + plural(p.pattern.size(), "point", "points", true) + ")", p.matches);
    out += "<figcaption>The pattern (black) and its " + std::to_string(std::min(p.matches.size(), max_overlays)) +
           " best matches, each z-normalised and stretched over its window; d is the " + html_escape(p.distance) +
           " distance to the pattern.</figcaption>\n";
    window_table(out, p.matches, "rank");
    out += "</figure>\n";
}

void motif_figure(std::string& out, const report_motif_group& m) {
    out += "<figure>\n<h3>" + html_escape(m.step) + " \xC2\xB7 motifs</h3>\n";
    if (m.windows.empty()) {
        out += "<p class=\"none\">No motif group.</p>\n</figure>\n";
        return;
    }
    const report_window& centre = m.windows.front();
    const std::vector<report_window> members(m.windows.begin() + 1, m.windows.end());
    overlay_chart(out, "top motif group of step " + m.step, centre.values, "centre: " + centre.id, members);
    out += "<figcaption>Group " + std::to_string(m.group) + " (" + plural(m.series_count, "series", "series", true) +
           "): its centre (black) and " + std::to_string(std::min(members.size(), max_overlays)) +
           " members, z-normalised; d is the distance to the centre.</figcaption>\n";
    window_table(out, m.windows, "rank");
    out += "</figure>\n";
}

void dataset_section(std::string& out, const run_report_data& d) {
    const auto& r = d.dataset;
    if (r.empty()) return;
    out += "<section id=\"dataset\">\n<h2>Dataset-wide results</h2>\n";
    for (const auto& h : r.correlations) correlation_figure(out, h);
    for (const auto& p : r.pcas) pca_figure(out, p);
    for (const auto& k : r.kmeans) kmeans_figure(out, k);
    for (const auto& p : r.patterns) pattern_figure(out, p);
    for (const auto& m : r.motifs) motif_figure(out, m);
    if (!r.notes.empty()) {
        out += "<ul class=\"note\">\n";
        for (const auto& n : r.notes) out += "<li>" + html_escape(n) + "</li>\n";
        out += "</ul>\n";
    }
    out += "</section>\n";
}

// ---------------------------------------------------------------------------------------
// Page

// Inline CSS; the page loads nothing, and the Content-Security-Policy in the head makes a
// browser refuse (and report) any load should one ever slip in.
constexpr std::string_view page_css = R"css(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
body{color:#222;background:#fff;max-width:990px;margin:0 auto;padding:12px 16px 32px}
h1{font-size:1.5em;margin:.4em 0 .2em}
h2{font-size:1.2em;margin:1.6em 0 .5em;padding-bottom:.2em;border-bottom:1px solid #ddd}
h3{font-size:.95em;margin:1.2em 0 .3em;font-family:ui-monospace,"DejaVu Sans Mono",monospace;overflow-wrap:anywhere}
p.lead{font-size:1.05em;margin:.2em 0 .8em}
dl.summary{display:grid;grid-template-columns:max-content 1fr;gap:2px 18px;margin:0}
dl.summary dt{color:#666}
dl.summary dd{margin:0;overflow-wrap:anywhere}
figure{margin:0 0 14px}
figcaption{font-size:.9em;color:#444;margin-top:2px}
table{border-collapse:collapse;font-size:.9em;font-variant-numeric:tabular-nums}
th,td{padding:3px 9px;border-bottom:1px solid #e5e5e5;text-align:right;white-space:nowrap}
th{background:#f6f6f6}
th:nth-child(-n+2),td:nth-child(-n+2){text-align:left}
details{margin:8px 0}
summary{cursor:pointer;color:#444}
.note{color:#666;font-size:.88em}
.none{color:#888;font-style:italic}
footer{margin-top:2em;color:#888;font-size:.8em}
svg{display:block;max-width:100%;height:auto}
svg text{font-size:11px;fill:#444}
svg text.figure{font-size:12px;font-weight:600;fill:#222}
svg text.legend{font-size:12px}
svg text.axis{font-size:11px;fill:#666}
svg text.panel{font-size:11.5px;fill:#222}
svg text.empty{font-size:12px;fill:#999;font-style:italic}
svg text.mean-label{fill:#c0392b}
.frame{fill:none;stroke:#bbb;stroke-width:1}
.grid{stroke:#ececec;stroke-width:1}
.axisline{stroke:#999;stroke-width:1}
.mean{stroke:#c0392b;stroke-width:1.5;stroke-dasharray:6 4}
.trace{fill:none;stroke-width:1.2;stroke-linejoin:round;stroke-linecap:round}
.overlay{fill:none;stroke-width:1.1;stroke-opacity:.85;stroke-linejoin:round}
.overlay-lead{fill:none;stroke-width:2.6;stroke-linejoin:round}
.lead-key{stroke:#222;stroke-width:2.6}
.shade-motif{fill:#59a14f;fill-opacity:.28}
.shade-discord{fill:#e15759;fill-opacity:.28}
)css";

void page_head(std::string& out, const run_report_data& d) {
    out +=
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
    out += html_escape(d.title);
    out += "</title>\n<style>";
    out += page_css;
    out += "</style>\n</head>\n<body>\n";
}

void summary_row(std::string& out, std::string_view name, const std::string& escaped_value) {
    out += "<dt>";
    out += name;
    out += "</dt><dd>" + escaped_value + "</dd>\n";
}

void page_header(std::string& out, const run_report_data& d) {
    const double rate = d.total_seconds > 0 ? static_cast<double>(d.total_points) / d.total_seconds : 0;
    out += "<header>\n<h1>" + html_escape(d.title) + "</h1>\n<p class=\"lead\">";
    out += format_grouped_count(d.total_series) + " series";
    appendf(out, ", %s points on %s in %s s (%s points/s)</p>\n",
            format_human_count(static_cast<double>(d.total_points)).c_str(),
            plural(static_cast<std::uint64_t>(std::max(d.ranks, 0)), "rank", "ranks", true).c_str(),
            fmt_fixed(d.total_seconds, 2).c_str(), format_human_count(rate).c_str());
    out += "<dl class=\"summary\">\n";
    summary_row(out, "config", "<code>" + html_escape(d.config_path) + "</code>");
    summary_row(out, "result", "<code>" + html_escape(d.output_path) + "</code>");
    summary_row(out, "started", time_label(d.start_ms, time_precision::millisecond));
    summary_row(out, "finished", time_label(d.end_ms, time_precision::millisecond));
    summary_row(out, "wall time",
                fmt_fixed(d.total_seconds, 3) + " s (" +
                    format_hms(static_cast<std::int64_t>(nonneg(std::round(d.total_seconds)))) + ")");
    summary_row(out, "ranks", std::to_string(d.ranks));
    summary_row(out, "series", format_grouped_count(d.total_series));
    summary_row(out, "points", format_grouped_count(d.total_points));
    summary_row(out, "skipped series", format_grouped_count(d.skipped_series));
    summary_row(
        out, "chunks",
        format_grouped_count(d.chunks) + " (" + format_grouped_count(d.chunks_from_checkpoint) + " from a checkpoint)");
    summary_row(out, "tsbatch", html_escape(d.tsbatch_version));
    out += "</dl>\n</header>\n";
}

}  // namespace

// ---------------------------------------------------------------------------------------

double compute_imbalance(const std::vector<report_rank>& ranks) {
    if (ranks.empty()) return 1.0;
    double worst = 0, total = 0;
    for (const auto& r : ranks) {
        worst = std::max(worst, nonneg(r.compute_s));
        total += nonneg(r.compute_s);
    }
    const double mean = total / static_cast<double>(ranks.size());
    return mean > 0 ? worst / mean : 1.0;
}

heatmap_reducer::heatmap_reducer(std::uint64_t n, std::size_t max_cells) : n_(n) {
    const std::uint64_t cells = std::min<std::uint64_t>(n, std::max<std::size_t>(max_cells, 1));
    // Row i is in cell floor(i * cells / n): cell k starts at ceil(k * n / cells). The
    // products stay far below 2^64 for any matrix that fits a file (n < 2^40, cells <= 2^20).
    for (std::uint64_t k = 0; k <= cells; ++k) start_.push_back(cells == 0 ? 0 : (k * n + cells - 1) / cells);
    cell_of_.resize(n);
    for (std::uint64_t k = 0; k < cells; ++k)
        for (std::uint64_t i = start_[k]; i < start_[k + 1]; ++i) cell_of_[i] = static_cast<std::uint32_t>(k);
    sum_.assign(cells * cells, 0.0);
    count_.assign(cells * cells, 0);
}

void heatmap_reducer::add_rows(std::uint64_t row0, std::uint64_t rows, std::span<const double> values) {
    if (row0 > n_ || rows > n_ - row0 || values.size() != rows * n_)
        throw internal_error("heatmap_reducer: a strip of " + std::to_string(rows) + " rows at row " +
                             std::to_string(row0) + " with " + std::to_string(values.size()) +
                             " values does not fit a matrix of " + std::to_string(n_) + " rows");
    const std::size_t cells = start_.size() - 1;
    for (std::uint64_t r = 0; r < rows; ++r) {
        const std::size_t base = cell_of_[row0 + r] * cells;
        const double* row = values.data() + r * n_;
        for (std::size_t k = 0; k < cells; ++k) {
            // A cell's columns are one range: four running sums (one add chain would wait on
            // each add; a 10,000 x 10,000 matrix took 0.35 s that way), NaN counted as nothing.
            std::array<double, 4> sum{};
            std::array<std::uint64_t, 4> count{};
            const std::uint64_t end = start_[k + 1];
            std::uint64_t j = start_[k];
            for (; j + 4 <= end; j += 4)
                for (std::size_t u = 0; u < 4; ++u) {
                    const bool finite = std::isfinite(row[j + u]);
                    sum[u] += finite ? row[j + u] : 0.0;
                    count[u] += finite;
                }
            for (; j < end; ++j) {
                const bool finite = std::isfinite(row[j]);
                sum[0] += finite ? row[j] : 0.0;
                count[0] += finite;
            }
            sum_[base + k] += (sum[0] + sum[1]) + (sum[2] + sum[3]);
            count_[base + k] += count[0] + count[1] + count[2] + count[3];
        }
    }
}

std::uint64_t heatmap_reducer::rows_per_strip(std::uint64_t bytes) const noexcept {
    return std::max<std::uint64_t>(1, bytes / (8 * std::max<std::uint64_t>(n_, 1)));
}

report_heatmap heatmap_reducer::result(std::string step, std::string matrix,
                                       const std::vector<std::string>& row_ids) const {
    report_heatmap h;
    h.step = std::move(step);
    h.matrix = std::move(matrix);
    h.series = n_;
    h.block_start = start_;
    h.value.resize(sum_.size());
    for (std::size_t k = 0; k < sum_.size(); ++k)
        h.value[k] =
            count_[k] > 0 ? sum_[k] / static_cast<double>(count_[k]) : std::numeric_limits<double>::quiet_NaN();
    if (row_ids.size() == n_)
        for (std::size_t k = 0; k + 1 < start_.size(); ++k) h.labels.push_back(row_ids[start_[k]]);
    return h;
}

std::vector<std::size_t> heatmap_order(const report_heatmap& h) {
    const std::size_t n = h.cells();
    if (n == 0 || h.value.size() != n * n) return {};
    // Average linkage by the Lance-Williams update on a full distance matrix: O(n^3) for n
    // <= report_heatmap_max_cells is a few million steps. Symmetrised, so that a matrix
    // whose halves differ in rounding still gives one answer.
    std::vector<double> dist(n * n);
    const auto r = [&](std::size_t i, std::size_t j) {
        const double v = h.value[i * n + j];
        return std::isfinite(v) ? v : 0.0;
    };
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j) dist[i * n + j] = 1 - (r(i, j) + r(j, i)) / 2;
    std::vector<std::vector<std::size_t>> leaves(n);
    std::vector<double> size(n, 1);
    std::vector<bool> alive(n, true);
    for (std::size_t i = 0; i < n; ++i) leaves[i] = {i};
    for (std::size_t merges = 1; merges < n; ++merges) {
        std::size_t a = 0, b = 0;
        double best = std::numeric_limits<double>::infinity();
        for (std::size_t i = 0; i < n; ++i) {
            if (!alive[i]) continue;
            for (std::size_t j = i + 1; j < n; ++j)
                if (alive[j] && dist[i * n + j] < best) {
                    best = dist[i * n + j];
                    a = i;
                    b = j;
                }
        }
        if (!(best < std::numeric_limits<double>::infinity())) break;
        // a < b, and a cluster's slot is its lowest member, so `a` holds the lower index.
        for (std::size_t k = 0; k < n; ++k) {
            if (!alive[k] || k == a || k == b) continue;
            const double d = (size[a] * dist[a * n + k] + size[b] * dist[b * n + k]) / (size[a] + size[b]);
            dist[a * n + k] = dist[k * n + a] = d;
        }
        size[a] += size[b];
        leaves[a].insert(leaves[a].end(), leaves[b].begin(), leaves[b].end());
        leaves[b].clear();
        alive[b] = false;
    }
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < n; ++i)
        if (alive[i]) order.insert(order.end(), leaves[i].begin(), leaves[i].end());
    return order;
}

double plot_gap_ms(std::span<const std::int64_t> time) {
    if (time.size() < 3) return std::numeric_limits<double>::infinity();
    std::vector<double> steps(time.size() - 1);
    for (std::size_t i = 1; i < time.size(); ++i)
        steps[i - 1] = static_cast<double>(time[i]) - static_cast<double>(time[i - 1]);
    const auto mid = steps.begin() + static_cast<std::ptrdiff_t>(steps.size() / 2);
    std::nth_element(steps.begin(), mid, steps.end());
    return 3 * *mid;
}

std::vector<std::vector<plot_point>> downsample_min_max(series_view s, std::int64_t t0, std::int64_t t1, int columns,
                                                        double max_gap_ms) {
    columns = std::max(columns, 1);
    const double origin = static_cast<double>(t0);
    const double span = static_cast<double>(t1) - origin;
    const auto column_of = [&](std::int64_t t) {
        if (!(span > 0)) return 0;
        const double c = std::floor((static_cast<double>(t) - origin) / span * columns);
        return static_cast<int>(std::clamp(c, 0.0, static_cast<double>(columns - 1)));
    };
    // One pixel column's extremes, with their positions so they are emitted in time order.
    struct bucket {
        int column = -1;
        std::size_t lo_i = 0, hi_i = 0;
    } b;
    std::vector<std::vector<plot_point>> runs;
    std::vector<plot_point> run;
    const auto point = [&](std::size_t i) { return plot_point{static_cast<double>(s.time[i]), s.value[i]}; };
    const auto flush = [&] {
        if (b.column < 0) return;
        run.push_back(point(std::min(b.lo_i, b.hi_i)));
        if (b.lo_i != b.hi_i) run.push_back(point(std::max(b.lo_i, b.hi_i)));
        b.column = -1;
    };
    bool broken = false;  // a missing value since the bucket's last point
    double last_t = 0;    // time of the last finite point
    for (std::size_t i = 0; i < s.size(); ++i) {
        const double v = s.value[i];
        if (!std::isfinite(v)) {
            broken = true;
            continue;
        }
        const double t = static_cast<double>(s.time[i]);
        if (b.column >= 0 && t - last_t > max_gap_ms) broken = true;
        last_t = t;
        const int c = column_of(s.time[i]);
        if (c != b.column) {
            flush();
            if (broken && !run.empty()) runs.push_back(std::exchange(run, {}));
            b = {c, i, i};
        } else {
            if (v < s.value[b.lo_i]) b.lo_i = i;
            if (v > s.value[b.hi_i]) b.hi_i = i;
        }
        broken = false;
    }
    flush();
    if (!run.empty()) runs.push_back(std::move(run));
    return runs;
}

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            const std::size_t n = utf8_length(text, i);
            if (n == 0)
                out += replacement_char;
            else
                out.append(text.substr(i, n));
            i += n == 0 ? 1 : n;
            continue;
        }
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F)
                    out += replacement_char;
                else
                    out += static_cast<char>(c);
        }
        ++i;
    }
    return out;
}

std::string render_run_report(const run_report_data& data) {
    std::string out;
    out.reserve(64 * 1024);
    page_head(out, data);
    page_header(out, data);
    ranks_section(out, data);
    steps_section(out, data);
    dataset_section(out, data);
    samples_section(out, data);
    out += "<footer>Written by tsbatch " + html_escape(data.tsbatch_version) + " at " +
           time_label(data.end_ms, time_precision::second) +
           ". Self-contained: no script, no external resource.</footer>\n";
    out += "</body>\n</html>\n";
    return out;
}

namespace {

[[noreturn]] void fail_write(const std::string& path, const char* what, int err) {
    throw output_error(path + ": cannot write the run report (" + what + ": " + std::strerror(err) + ")");
}

// Writes all of `bytes` to `fd`, retrying short writes and interruptions; false on error.
bool write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

}  // namespace

void write_run_report(const std::string& path, const run_report_data& data) {
    const std::string html = render_run_report(data);
    remove_abandoned_temp_files(path);  // left by a run killed while writing it
    const std::string tmp = temp_path_for(path);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail_write(path, "create", errno);
    // fsync before rename: after a crash the name holds the whole page or the previous one.
    if (!write_all(fd, html) || ::fsync(fd) != 0) {
        const int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        fail_write(path, "write", err);
    }
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        fail_write(path, "close", err);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        fail_write(path, "rename", err);
    }
}

}  // namespace tsbatch
