#!/usr/bin/env bash
# Checks an HTML run report in Debian's headless chromium, offline:
#   * chromium loads the page and exits cleanly;
#   * it prints no console message for the page. The report has no script, so any console
#     line is an error: an invalid SVG attribute ("Error: <rect> attribute x: Expected
#     length"), or a load the report's Content-Security-Policy blocked ("Loading the image
#     ... violates the following Content Security Policy directive");
#   * the DOM chromium built refers to no resource (no src/href, no script, no url());
#   * the screenshot exists and is not blank (more than one colour, and some ink).
#
# usage: check_report.sh [--out DIR] [--window-size W,H] [--expect TEXT]... REPORT.html
#   --out DIR          keep the screenshot, the DOM and chromium's logs there
#                      (default: a new directory under ${TMPDIR:-/tmp})
#   --window-size W,H  browser window and screenshot size (default 1280,2000)
#   --expect TEXT      the DOM chromium built must contain TEXT, written as in HTML source
#                      (escaped: a&amp;b), repeatable
# exit status: 0 the report passes, 1 it fails a check, 2 usage error or no usable chromium.
# chromium is installed with apt-get when missing (as root, or through sudo -n).
set -euo pipefail

prog=${0##*/}
die() {
    echo "$prog: $2" >&2
    exit "$1"
}

out_dir=""
window="1280,2000"
expects=()
html=""
while (($#)); do
    case $1 in
        --out) out_dir=${2:?--out needs a directory}; shift 2 ;;
        --window-size) window=${2:?--window-size needs W,H}; shift 2 ;;
        --expect) expects+=("${2:?--expect needs a text}"); shift 2 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        -*) die 2 "unknown option $1 (see --help)" ;;
        *) [[ -z $html ]] || die 2 "one report at a time"; html=$1; shift ;;
    esac
done
[[ -n $html ]] || die 2 "usage: $prog [--out DIR] [--window-size W,H] [--expect TEXT]... REPORT.html"
[[ -f $html ]] || die 2 "$html: no such file"
[[ $window =~ ^[0-9]+,[0-9]+$ ]] || die 2 "--window-size: expected W,H, got '$window'"
command -v python3 >/dev/null || die 2 "python3 is needed to check the screenshot"

# Debian's package, installed the first time (the test machines start bare).
ensure_chromium() {
    command -v chromium >/dev/null && return 0
    local sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null || die 2 "chromium is missing and installing it needs root"
        sudo=(sudo -n)
    fi
    echo "$prog: installing chromium with apt-get" >&2
    local install=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium)
    if ! "${install[@]}" >/dev/null 2>&1; then
        # A fresh machine may have no package lists yet.
        "${sudo[@]}" apt-get update >/dev/null 2>&1 || true
        "${install[@]}" >/dev/null || die 2 "apt-get could not install chromium"
    fi
    command -v chromium >/dev/null || die 2 "chromium is still missing after apt-get"
}
ensure_chromium

if [[ -z $out_dir ]]; then
    out_dir=$(mktemp -d "${TMPDIR:-/tmp}/check_report.XXXXXX")
else
    mkdir -p "$out_dir"
fi
out_dir=$(cd "$out_dir" && pwd)
png=$out_dir/screenshot.png
dom=$out_dir/dom.html
rm -f "$png" "$dom"

# A profile of our own: nothing read from or left in ~/.config, and parallel checks do not
# share one.
profile=$(mktemp -d "${TMPDIR:-/tmp}/check_report_profile.XXXXXX")
trap 'rm -rf "$profile"' EXIT

url=$(python3 -c 'import pathlib, sys; print(pathlib.Path(sys.argv[1]).resolve().as_uri())' "$html")
flags=(--headless --no-sandbox --disable-gpu --enable-logging=stderr --v=0 --virtual-time-budget=2000
       --user-data-dir="$profile" --no-first-run --disable-background-networking)

failures=()
run_chromium() {  # log file, then chromium's own arguments
    local log=$1 rc=0
    shift
    timeout 120 chromium "${flags[@]}" "$@" "$url" >"$log.stdout" 2>"$log" || rc=$?
    ((rc == 0)) || failures+=("chromium exited with status $rc (see $log)")
}
run_chromium "$out_dir/screenshot.log" --screenshot="$png" --window-size="$window"
run_chromium "$out_dir/dom.log" --dump-dom --window-size="$window"
mv "$out_dir/dom.log.stdout" "$dom"
rm -f "$out_dir/screenshot.log.stdout"

# Chromium's own complaints about the machine (no D-Bus, no GPU device) are not about the
# page; console lines, fatal errors and errors that name the page are.
page_errors=$(grep -h -E ':CONSOLE[:(]|:FATAL:' "$out_dir/screenshot.log" "$out_dir/dom.log" || true)
page_errors+=$'\n'$(grep -h ':ERROR:' "$out_dir/screenshot.log" "$out_dir/dom.log" | grep -F "$url" || true)
page_errors=$(sed '/^$/d' <<<"$page_errors")
if [[ -n $page_errors ]]; then
    failures+=("chromium reported errors for the page:")
    # Both runs print the same lines: drop chromium's [pid:tid:time:...] prefix to list each once.
    while IFS= read -r line; do failures+=("  $line"); done < <(sed -E 's/^\[[^]]*\] //' <<<"$page_errors" | sort -u)
fi

# The DOM as chromium built it: present, complete, self-contained, with the expected text.
dom_report=$(python3 - "$dom" "${expects[@]}" <<'PY'
import html.parser, sys

path, expects = sys.argv[1], sys.argv[2:]
text = open(path, encoding="utf-8", errors="replace").read()
problems = []
if "</html>" not in text:
    problems.append("the DOM dump is empty or incomplete")

LOADING_TAGS = {"script", "link", "iframe", "frame", "object", "embed", "img", "image", "video", "audio",
                "source", "track", "base", "use", "feimage"}
LOADING_ATTRS = {"src", "href", "xlink:href", "srcset", "poster", "data", "action", "formaction", "background"}

class Refs(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.in_style = False
        self.elements = 0
        self.svgs = 0
    def handle_starttag(self, tag, attrs):
        self.elements += 1
        self.svgs += tag == "svg"
        self.in_style = tag == "style"
        if tag in LOADING_TAGS:
            problems.append("<%s> element (the report must load nothing)" % tag)
        for name, value in attrs:
            value = value or ""
            if name in LOADING_ATTRS and not value.startswith("#"):
                problems.append('<%s %s="%s"> refers to a resource' % (tag, name, value[:80]))
            if name == "style" and ("url(" in value or "@import" in value):
                problems.append("<%s style> loads a resource: %s" % (tag, value[:80]))
    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style = False
    def handle_data(self, data):
        if self.in_style and ("url(" in data or "@import" in data):
            problems.append("<style> loads a resource (url() or @import)")

refs = Refs()
refs.feed(text)
for e in expects:
    if e not in text:
        problems.append("the DOM does not contain %r" % e)
print("dom: %d elements, %d svg" % (refs.elements, refs.svgs))
for p in problems:
    print("PROBLEM " + p)
PY
) || failures+=("could not read the DOM dump $dom")
while IFS= read -r line; do
    case $line in
        PROBLEM\ *) failures+=("${line#PROBLEM }") ;;
        ?*) echo "$line" ;;
    esac
done <<<"$dom_report"

# The screenshot: a PNG that is not one flat colour. Decoded with zlib alone (no PIL).
if [[ ! -s $png ]]; then
    failures+=("no screenshot was written ($png)")
else
    png_report=$(python3 - "$png" <<'PY'
import collections, struct, sys, zlib

def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, hdr = 8, [], None
    while pos + 8 <= len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if hdr is None:
        raise ValueError("no IHDR chunk")
    w, h, depth, ctype, _, _, interlace = hdr
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}.get(ctype)
    if depth != 8 or bpp is None or interlace != 0:
        raise ValueError("unsupported PNG (depth %d, colour type %d, interlace %d)" % (depth, ctype, interlace))
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    if len(raw) < h * (stride + 1):
        raise ValueError("truncated image data")
    rows, prev = [], bytearray(stride)
    for y in range(h):  # undo the per-row filters (PNG spec, section 9)
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        elif f != 0:
            raise ValueError("bad filter type %d in row %d" % (f, y))
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows

try:
    w, h, bpp, rows = read_png(sys.argv[1])
except Exception as e:  # any decoding failure is a bad screenshot
    print("PROBLEM the screenshot is not a readable PNG: %s" % e)
    sys.exit(0)
colours = collections.Counter()
for row in rows:
    if row == row[:bpp] * w:
        colours[row[:bpp]] += w  # a flat row, counted at once
    else:
        colours.update(row[i:i + bpp] for i in range(0, len(row), bpp))
background, count = colours.most_common(1)[0]
ink = 1 - count / (w * h)
print("screenshot: %dx%d, %d colours, %.1f%% of pixels differ from the background #%s"
      % (w, h, len(colours), 100 * ink, background.hex()))
if len(colours) == 1:
    print("PROBLEM the screenshot is blank (one colour)")
elif ink < 0.001:
    print("PROBLEM the screenshot is nearly blank (%.3f%% ink)" % (100 * ink))
PY
) || png_report="PROBLEM could not check the screenshot"
    while IFS= read -r line; do
        case $line in
            PROBLEM\ *) failures+=("${line#PROBLEM }") ;;
            ?*) echo "$line" ;;
        esac
    done <<<"$png_report"
fi

echo "screenshot saved: $png"
echo "DOM and chromium logs: $out_dir"
if ((${#failures[@]})); then
    echo "$prog: FAILED: $html" >&2
    printf '  %s\n' "${failures[@]}" >&2
    exit 1
fi
echo "$prog: OK: $html renders in $(chromium --version 2>/dev/null | head -1) without errors"
