#!/bin/bash
# ps-timeline.sh: oneshot-ps --timeline draws a run as a standalone SVG
# document: well-formed XML (Python's xml.etree), one bar per task that
# started with its end's colour class (COMPLETED, FAILED, INTERRUPTED by
# oneshot-ctl, one still RUNNING or IDLE), at most -j lanes, a time axis with
# ticks, the run in the title, a legend with the counts, a command with
# markup characters escaped and one with control bytes and invalid UTF-8
# made safe; task ids and --state hide bars without moving the others; -o
# FILE written whole; after the end, the same bars from the table and from
# LOGDIR/joblog once the table is removed; 100,000 tasks give a bounded
# document (a grid, not a bar each); usage errors exit 2, a missing run or
# log directory 1.  Headless Chromium draws the picture when it is installed
# (a PNG with the bars' colours in it); without it that part is skipped.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/ps-lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/ctl-lib.sh"

new_run tl
GATE="$SANDBOX/gate"
gate_close "$GATE"
MARKUP="echo '<&>\"' ok"
{
	echo 'echo one'                                    # 1 COMPLETED
	echo 'exit 3'                                      # 2 FAILED
	echo "$MARKUP"                                     # 3 COMPLETED
	echo "$(gate_wait "$GATE")"                        # 4 INTERRUPTED (oneshot-ctl)
	echo "$(gate_wait "$GATE")"                        # 5 RUNNING until the gate opens
	printf 'true # \001\033[31m \377\376 caf\303\251\n' # 6 COMPLETED
} >"$SANDBOX/tasks"

detach -j 3 -n "$RUN" -L "$LOG" "$SANDBOX/tasks"
wait_for '[ "$(ps_counts "$RUN")" = "0 2 0 0 3 1" ] || [ "$(ps_counts "$RUN")" = "0 1 1 0 3 1" ] ||
	[ "$(ps_counts "$RUN")" = "0 0 2 0 3 1" ]' 20 ||
	fatal "run did not reach 3 completed, 1 failed, 2 running: counts [$(ps_counts "$RUN")]"
ctl -n "$RUN" interrupt 4
assert_eq 0 "$CTL_RC" "oneshot-ctl interrupt 4 ($CTL_ERR)"
wait_state "$RUN" 4 INTERRUPTED 10

# check_svg FILE EXPECT: FILE parsed as SVG; EXPECT is "ID:CLASS[|CLASS] ..."
# for the bars it must have and no others, then KEY=VALUE words:
# status=TEXT (the title's end), lanes=N (at most), now=0|1 (the marker),
# legend=CLASS:N,... Prints "ok" or what is wrong.
check_svg() {
	"$PYTHON" - "$@" <<'PY'
import re, sys
import xml.etree.ElementTree as ET
path, want = sys.argv[1], sys.argv[2:]
NS = "{http://www.w3.org/2000/svg}"
errs = []
def need(cond, what):
    if not cond:
        errs.append(what)
try:
    root = ET.parse(path).getroot()
except Exception as e:
    print("not well-formed XML:", e)
    sys.exit(0)
need(root.tag == NS + "svg", "root is %r" % root.tag)
W, H = float(root.get("width", "0")), float(root.get("height", "0"))
need(W > 0 and H > 0 and root.get("viewBox") == "0 0 %g %g" % (W, H), "size/viewBox")
texts = ["".join(t.itertext()) for t in root.iter(NS + "text")]
bars = {}
for r in root.iter(NS + "rect"):
    i = r.get("id", "")
    if i.startswith("task-"):
        cls = r.get("class", "").split()
        need(cls[:1] == ["bar"] and len(cls) == 2, "%s class %r" % (i, r.get("class")))
        x, w = float(r.get("x")), float(r.get("width"))
        need(60 <= x and x + w <= 1061 and w >= 1, "%s x=%g width=%g" % (i, x, w))
        t = r.find(NS + "title")
        bars[int(i[5:])] = (cls[-1], float(r.get("y")), t.text if t is not None else None)
expect = {}
opts = {}
for w in want:
    if "=" in w:
        k, v = w.split("=", 1)
        opts[k] = v
    else:
        i, c = w.split(":")
        expect[int(i)] = c.split("|")
need(sorted(bars) == sorted(expect), "bars %r, expected %r" % (sorted(bars), sorted(expect)))
for i, classes in expect.items():
    if i in bars:
        need(bars[i][0] in classes, "task %d class %r, expected %r" % (i, bars[i][0], classes))
        need(bars[i][2] and bars[i][2].startswith("task %d: " % i), "task %d tooltip %r" % (i, bars[i][2]))
if "lanes" in opts:
    need(len({b[1] for b in bars.values()}) <= int(opts["lanes"]), "more rows than %s" % opts["lanes"])
title = [t for t in root.iter(NS + "text") if t.get("class") == "title"]
need(len(title) == 1, "one title")
if title and "status" in opts:
    need("".join(title[0].itertext()).endswith(": " + opts["status"]), "title %r" % "".join(title[0].itertext()))
axis = [g for g in root.iter(NS + "g") if g.get("class") == "axis"]
need(len(axis) == 1, "one axis")
if axis:
    ticks = [t.text for t in axis[0].iter(NS + "text") if t.get("class") == "tick"]
    need(len(ticks) >= 2 and ticks[0] == "0", "axis ticks %r" % ticks)
    need(all(re.match(r"^(0|[0-9.]+s|([0-9]+[dhms])+)$", t) for t in ticks), "tick labels %r" % ticks)
    now = any(p.get("class") == "now" for p in axis[0].iter(NS + "path"))
    if "now" in opts:
        need(now == (opts["now"] == "1"), "now marker %r" % now)
if "legend" in opts:
    for kv in opts["legend"].split(","):
        need(any(re.fullmatch(kv.replace(":", " "), t) for t in texts), "legend %r in %r" % (kv, [t for t in texts if t[:1].isupper()]))
print("ok" if not errs else "; ".join(errs))
PY
}

# tooltip FILE ID: the last line of bar ID's tooltip (its command), or NONE
tooltip() {
	"$PYTHON" - "$1" "$2" <<'PY'
import sys
import xml.etree.ElementTree as ET
NS = "{http://www.w3.org/2000/svg}"
for r in ET.parse(sys.argv[1]).getroot().iter(NS + "rect"):
    if r.get("id") == "task-" + sys.argv[2]:
        sys.stdout.write(r.find(NS + "title").text.split("\n")[-1])
        sys.exit(0)
print("NONE")
PY
}

# bar_y FILE ID: the y of bar ID (its lane)
bar_y() {
	grep -o "id=\"task-$2\" class=\"[a-z ]*\" x=\"[0-9.]*\" y=\"[0-9.]*\"" "$1" | sed 's/.* y="//; s/"$//'
}

# --- a live run ---------------------------------------------------------
ps_run -n "$RUN" --timeline
assert_eq 0 "$PS_RC" "--timeline exit status ($PS_ERR)"
assert_eq "" "$PS_ERR" "--timeline: nothing on stderr"
cp "$SANDBOX/ps.out" "$SANDBOX/live.svg"
assert_eq ok "$(check_svg "$SANDBOX/live.svg" 1:completed 2:failed 3:completed 4:interrupted \
	'5:running|idle' 6:completed status=alive lanes=3 now=1 \
	'legend=COMPLETED:3,FAILED:1,INTERRUPTED:1,(RUNNING:1|IDLE:1)')" "live run's SVG"
assert_eq "$MARKUP" "$(tooltip "$SANDBOX/live.svg" 3)" "task 3's command, markup and all"
grep -qF "echo &#39;&lt;&amp;&gt;&quot;&#39; ok" "$SANDBOX/live.svg" ||
	fail "task 3's command is not escaped as expected: $(grep -F 'echo &' "$SANDBOX/live.svg")"
assert_eq "true # ??[31m ?? caf"$'\303\251' "$(tooltip "$SANDBOX/live.svg" 6)" \
	"task 6's command: control bytes and invalid UTF-8 as '?'"
assert_match "oneshot run $RUN: alive" "$(grep -o '<text class="title"[^<]*' "$SANDBOX/live.svg")" \
	"the title names the run"

# task ids and --state hide bars; the others stay on their lanes
ps_run -n "$RUN" --timeline 2 4
assert_eq ok "$(check_svg "$SANDBOX/ps.out" 2:failed 4:interrupted)" "--timeline 2 4"
assert_eq "$(bar_y "$SANDBOX/live.svg" 4)" "$(bar_y "$SANDBOX/ps.out" 4)" "task 4 keeps its lane"
ps_run -n "$RUN" --timeline --state failed
assert_eq ok "$(check_svg "$SANDBOX/ps.out" 2:failed)" "--timeline --state failed"
ps_run -n "$RUN" --timeline 99
assert_eq 1 "$PS_RC" "--timeline of a task the run does not have"

# -o FILE: the same document, written whole, nothing on stdout
ps_run -n "$RUN" --timeline -o "$SANDBOX/out.svg"
assert_eq 0 "$PS_RC" "-o FILE exit status ($PS_ERR)"
assert_eq "" "$PS_OUT" "-o FILE: nothing on stdout"
assert_eq ok "$(check_svg "$SANDBOX/out.svg" 1:completed 2:failed 3:completed 4:interrupted \
	'5:running|idle' 6:completed)" "-o FILE's SVG"
assert_eq "" "$(ls "$SANDBOX" | grep '\.tmp\.')" "no temporary file left"
ps_run -n "$RUN" --timeline -o "$SANDBOX/no/such/dir/x.svg"
assert_eq 1 "$PS_RC" "-o in a missing directory"
assert_match "-o $SANDBOX/no/such/dir/x.svg: " "$PS_ERR" "-o in a missing directory: message"

# --- drawn by a browser -------------------------------------------------
# Its profile and anything it writes under HOME stay in the sandbox.
CHROMIUM=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
mkdir -p "$SANDBOX/chromium"
chromium() {
	HOME="$SANDBOX/chromium" timeout -k 5 $((60 * SLOW)) "$CHROMIUM" --headless --no-sandbox \
		--disable-gpu --hide-scrollbars --user-data-dir="$SANDBOX/chromium" "$@" </dev/null
}
if [ -z "$CHROMIUM" ]; then
	note "chromium is not installed: the SVG is not rendered (Debian: apt-get install chromium)"
elif ! chromium --version >/dev/null 2>&1; then
	note "$CHROMIUM --version fails: the SVG is not rendered"
else
	size=$(sed -n 's/.*<svg [^>]* width="\([0-9]*\)" height="\([0-9]*\)".*/\1,\2/p' "$SANDBOX/live.svg")
	chromium --window-size="$size" --screenshot="$SANDBOX/live.png" "file://$SANDBOX/live.svg" \
		>/dev/null 2>&1
	if [ ! -s "$SANDBOX/live.png" ]; then
		fail "chromium --screenshot made no PNG of the SVG"
	else
		# the pixels, decoded with the standard library only: more than
		# one colour, and the bars' own colours among them
		colours=$("$PYTHON" - "$SANDBOX/live.png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat = 8, b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
bpp = 3 if ctype == 2 else 4
raw, stride = zlib.decompress(idat), w * bpp
prev, seen, at = bytearray(stride), set(), 0
for y in range(h):
    f, line = raw[at], bytearray(raw[at + 1:at + 1 + stride])
    at += 1 + stride
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for i in range(0, stride, bpp):
        seen.add(tuple(line[i:i + 3]))
    prev = line
def has(rgb):
    return any(all(abs(p - q) <= 6 for p, q in zip(rgb, s)) for s in seen)
names = {"completed": (0x4c, 0x78, 0xa8), "failed": (0xe4, 0x57, 0x56),
         "interrupted": (0xb2, 0x79, 0xa2)}
print(len(seen), " ".join(k for k, v in sorted(names.items()) if has(v)))
PY
)
		assert_match '^[0-9]+ completed failed interrupted$' "$colours" \
			"the PNG of the SVG: colours, and the bars' among them"
		[ "${colours%% *}" -gt 1 ] 2>/dev/null || fail "the PNG is blank: [$colours]"
	fi
fi

# --- after the end: from the table, then from the log directory ------------
gate_open "$GATE"
wait_gone "$SUP_PID" 20
ps_run -n "$RUN" --timeline
assert_eq ok "$(check_svg "$SANDBOX/ps.out" 1:completed 2:failed 3:completed 4:interrupted \
	5:completed 6:completed 'status=done, exit 1' lanes=3 now=0 \
	'legend=COMPLETED:4,FAILED:1,INTERRUPTED:1,RUNNING:0,IDLE:0')" "finished run's SVG"
ps_run --rm "$RUN"
assert_eq 0 "$PS_RC" "--rm the finished run"
ps_run -n "$RUN" --timeline
assert_eq 1 "$PS_RC" "--timeline of a run whose table is gone, by name"
ps_run --timeline "$LOG"
assert_eq 0 "$PS_RC" "--timeline LOGDIR exit status ($PS_ERR)"
assert_eq ok "$(check_svg "$SANDBOX/ps.out" 1:completed 2:failed 3:completed 4:interrupted \
	5:completed 6:completed 'status=done, exit 1' lanes=3 now=0)" "the SVG from LOGDIR/joblog"
assert_match "oneshot run $RUN: done" "$(grep -o '<text class="title"[^<]*' "$SANDBOX/ps.out")" \
	"the run's name from summary.json"
assert_eq "$MARKUP" "$(tooltip "$SANDBOX/ps.out" 3)" "task 3's command from the job log"

# --- bounded: 100,000 tasks ------------------------------------------------
mkdir "$SANDBOX/big"
"$PYTHON" - "$SANDBOX/big/joblog" "$JOBLOG_HEADER" <<'PY'
import sys
out = [sys.argv[2]]
for i in range(1, 100001):
    lane, k = i % 64, i // 64
    state = "FAILED\t1\t-" if i % 97 == 0 else "COMPLETED\t1\t-"
    out.append("%d\t:\t%.3f\t2.900\t0\t3\t%d\t0\t%s\tsleep 3 # '<&>\"' %d"
               % (i, 1765000000 + k * 3 + lane * 0.01, 1 if i % 97 == 0 else 0, state, i))
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
ps_run --timeline "$SANDBOX/big"
assert_eq 0 "$PS_RC" "--timeline of 100,000 tasks ($PS_ERR)"
bytes=$(wc -c <"$SANDBOX/ps.out")
assert_le "$bytes" 8000000 "100,000 tasks: bytes of SVG"
assert_eq ok "$(check_svg "$SANDBOX/ps.out" lanes=64 'legend=COMPLETED:98970,FAILED:1030')" \
	"100,000 tasks: well-formed, no bar each, the counts"
assert_match 'grid of 64 ' "$(grep -o '<text class="sub"[^<]*' "$SANDBOX/ps.out" | tail -1)" \
	"100,000 tasks: drawn as a grid"

# --- usage and errors --------------------------------------------------------
ps_run --timeline
assert_eq 2 "$PS_RC" "--timeline without a run or log directory"
ps_run --timeline "$LOG" "$LOG"
assert_eq 2 "$PS_RC" "--timeline with two log directories"
ps_run -n "$RUN" --timeline --json
assert_eq 2 "$PS_RC" "--timeline --json"
ps_run -n "$RUN" --timeline -f
assert_eq 2 "$PS_RC" "--timeline -f"
ps_run -u 0 --timeline "$LOG"
assert_eq 2 "$PS_RC" "--timeline LOGDIR -u"
ps_run -o "$SANDBOX/x.svg" -n "$RUN"
assert_eq 2 "$PS_RC" "-o without --merge or --timeline"
ps_run --timeline "$SANDBOX/nosuch"
assert_eq 1 "$PS_RC" "--timeline of a missing directory"
ps_run --timeline "$SANDBOX"
assert_eq 1 "$PS_RC" "--timeline of a directory without a job log"
assert_match 'no joblog' "$PS_ERR" "--timeline of a directory without a job log: message"
ps_run -n "nosuch-$RUN" --timeline
assert_eq 1 "$PS_RC" "--timeline of no such run"
