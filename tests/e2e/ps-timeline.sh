#!/bin/bash
# ps-timeline.sh: oneshot-ps --timeline draws a run as a standalone SVG
# document: well-formed XML (Python's xml.etree), one bar per attempt of a
# task that started with its colour class (COMPLETED, FAILED, INTERRUPTED by
# oneshot-ctl, one still RUNNING or IDLE, one IDLE and waiting on `read`:
# its own class, the tooltip says read and the prompt), at most -j lanes, a
# time axis with ticks, the run in the title, a legend with the counts, a
# command with markup characters escaped and one with control bytes and
# invalid UTF-8 made safe; task ids and --state hide bars without moving the
# others; -o FILE written whole; after the end, the same bars from the table
# and from LOGDIR/joblog (-L LOGDIR, or LOGDIR alone) once the table is
# removed.  Retries (--retries 1, a task that fails twice): two bars, from
# the job log and from a live table (its earlier attempt read from the job
# log), the second marked (class retry, a flag, attempt 2 in its tooltip).
# The load chart: its highest step is the most attempts at once (worked out
# again here from the job log), the number of lanes, and never above -j,
# drawn at its cap.  The slowest bar's label names the task the job log
# says ran longest.  100,000 tasks give a bounded document (a grid, not a
# bar each) with the load chart and the slowest marked.  Usage errors exit
# 2, a missing run or log directory 1.  Headless Chromium draws the
# pictures when it is installed (PNGs with the bars' colours, the waiting
# one's included); without it that part is skipped.
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
# for the tasks it must have a bar of (its last attempt's, id task-ID) and
# no others, then KEY=VALUE words: status=TEXT (the title's end), lanes=N
# (at most), now=0|1 (the marker), legend=CLASS:N,... (regexes), tries=ID:N
# (task ID has N bars, attempts 1..N, those after the first marked),
# peak=N (the load chart's top, also its drawn maximum), cap=N (its -j
# line), slow=ID (the slowest bar's label names task ID). The load chart's
# maximum is always the number of lanes of the bars and never above its cap.
# Prints "ok" or what is wrong.
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
bars, tries, ys = {}, {}, set()
flags = [p for p in root.iter(NS + "path") if p.get("class") == "retrymark"]
for r in root.iter(NS + "rect"):
    i = r.get("id", "")
    if not i.startswith("task-"):
        continue
    cls = r.get("class", "").split()
    task, attempt = int(r.get("data-task")), int(r.get("data-attempt"))
    retry = attempt > 1
    need(cls[:1] == ["bar"] and len(cls) == 2 + retry and (cls[2:] == ["retry"]) == retry,
         "%s class %r" % (i, r.get("class")))
    x, y, w = float(r.get("x")), float(r.get("y")), float(r.get("width"))
    need(60 <= x and x + w <= 1061 and w >= 1, "%s x=%g width=%g" % (i, x, w))
    need(not retry or any(p.get("d", "").startswith("M%s %s" % (r.get("x"), r.get("y")))
                          for p in flags), "%s: no retry flag" % i)
    t = r.find(NS + "title")
    tip = t.text if t is not None else ""
    need(tip.startswith("task %d: " % task), "%s tooltip %r" % (i, tip))
    need(not retry or ("attempt %d" % attempt) in tip.split("\n")[0], "%s tooltip %r" % (i, tip))
    ys.add(y)
    tries.setdefault(task, []).append(attempt)
    if i == "task-%d" % task:
        bars[task] = (cls[1], y, tip)
    else:
        need(re.fullmatch(r"task-%d-try-[0-9]+" % task, i), "bar id %r" % i)
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
for i, n in (kv.split(":") for kv in opts.get("tries", "").split(",") if kv):
    need(sorted(tries.get(int(i), [])) == list(range(1, int(n) + 1)),
         "task %s: attempts drawn %r, expected 1..%s" % (i, tries.get(int(i)), n))
if "lanes" in opts:
    need(len(ys) <= int(opts["lanes"]), "more rows than %s" % opts["lanes"])
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
# the load chart: its steps' highest, its data-peak, the lanes, its cap line
load = [g for g in root.iter(NS + "g") if g.get("class") == "load"]
need(len(load) == 1, "one load chart")
if load:
    g = load[0]
    peak, cap = int(g.get("data-peak")), int(g.get("data-cap"))
    base, unit = float(g.get("data-base")), float(g.get("data-unit"))
    area = [p for p in g.iter(NS + "path") if p.get("class") == "area"]
    ysteps = [float(v) for v in re.findall(r"V([0-9.]+)", area[0].get("d"))] if area else []
    top = max((round((base - y) / unit) for y in ysteps), default=-1)
    need(top == peak, "load chart: drawn top %d, data-peak %d" % (top, peak))
    lanes = re.search(r"; ([0-9]+) lanes? \(tasks at once\)", " ".join(texts))
    need(lanes and int(lanes.group(1)) == peak, "load chart: peak %d, lanes %r" % (peak, lanes and lanes.group(1)))
    need(cap == 0 or peak <= cap, "load chart: peak %d above -j %d" % (peak, cap))
    capl = [p for p in g.iter(NS + "path") if p.get("class") == "capline"]
    need(bool(capl) == (cap > 0), "cap line %r for -j %d" % (len(capl), cap))
    if capl:
        cy = float(re.match(r"M[0-9.]+ ([0-9.]+)H", capl[0].get("d")).group(1))
        need(round((base - cy) / unit) == cap, "cap line at %g, not -j %d" % (cy, cap))
    if "peak" in opts:
        need(peak == int(opts["peak"]), "load chart peak %d, expected %s" % (peak, opts["peak"]))
    if "cap" in opts:
        need(cap == int(opts["cap"]), "load chart cap %d, expected %s" % (cap, opts["cap"]))
if "slow" in opts:
    first = [t for t in root.iter(NS + "text") if (t.get("class") or "").startswith("slow")
             and t.get("data-rank") == "1"]
    need(len(first) == 1 and first[0].get("data-task") == opts["slow"] and
         re.match(r"%s( \S+)?: [0-9]" % opts["slow"], first[0].text or ""),
         "slowest label %r, expected task %s" % ([(t.get("data-task"), t.text) for t in first], opts["slow"]))
print("ok" if not errs else "; ".join(errs))
PY
}

# joblog_facts LOGDIR: "PEAK SLOWEST" from LOGDIR/joblog alone: the most
# attempts at once (an attempt from its start to its end less the 1 ms the
# job log's rounding may add, at least a moment; ends before starts at the
# same time) and the task of the longest attempt (the lower id on a tie).
joblog_facts() {
	"$PYTHON" - "$1/joblog" <<'PY'
import sys
ev, slow = [], None
def ns(text):  # "1796539579.143" exactly, without floats
    a, _, b = text.partition(".")
    return int(a) * 10**9 + int((b + "000000000")[:9])
for line in open(sys.argv[1], encoding="utf-8", errors="replace").read().split("\n")[1:]:
    if not line:
        continue
    f = line.split("\t")
    seq, start, run = int(f[0]), ns(f[2]), ns(f[3])
    ev += [(start, 1), (max(start + run - 10**6, start + 1), -1)]
    if slow is None or run > slow[0] or (run == slow[0] and seq < slow[1]):
        slow = (run, seq)
level = peak = 0
for _, d in sorted(ev):
    level += d
    peak = max(peak, level)
print(peak, slow[1] if slow else "-")
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
	'5:running|idle' 6:completed status=alive lanes=3 now=1 cap=3 \
	'legend=COMPLETED:3,FAILED:1,INTERRUPTED:1,(RUNNING:1|IDLE:1),WAITING:0,↻ retried:0')" \
	"live run's SVG"
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

# --- a task waiting on `read`, a task retried: live, then from the log -----
RUN_A=$RUN LOG_A=$LOG SUP_A=$SUP_PID
new_run wr
cat >"$SANDBOX/wr.tasks" <<'TASKS'
bash -c 'read -p "name? " n; echo "hello $n"'
echo try; exit 4
sleep 0.3
sleep 0.3
TASKS
detach -j 2 --idle-after 0.5 --retries 1 -n "$RUN" -L "$LOG" "$SANDBOX/wr.tasks"
wait_for "[ \"\$(task_field $RUN 1 waiting)\" != None ] && [ \"\$(task_field $RUN 2 attempt)\" = 2 ] &&
	[ \"\$(task_field $RUN 2 state)\" = FAILED ] && [ \"\$(task_field $RUN 4 state)\" = COMPLETED ]" \
	$((15 * SLOW)) ||
	fatal "task 1 not waiting, or task 2 not failed twice: $(psx -n "$RUN" 2>&1)"
ps_run -n "$RUN" --timeline
assert_eq 0 "$PS_RC" "--timeline of the waiting run ($PS_ERR)"
cp "$SANDBOX/ps.out" "$SANDBOX/waiting.svg"
assert_eq ok "$(check_svg "$SANDBOX/waiting.svg" 1:waiting 2:failed 3:completed 4:completed \
	status=alive now=1 lanes=2 cap=2 tries=2:2,1:1,3:1 slow=1 \
	'legend=COMPLETED:2,FAILED:1,IDLE:0,WAITING:1,↻ retried:1')" \
	"live: task 1 waiting, task 2's two attempts (the first from the job log)"
assert_match '^task 1: IDLE, waiting for input \(read: "name\?"\), started at ' \
	"$("$PYTHON" -c '
import sys, xml.etree.ElementTree as ET
for r in ET.parse(sys.argv[1]).getroot().iter("{http://www.w3.org/2000/svg}rect"):
    if r.get("id") == "task-1":
        print(r.find("{http://www.w3.org/2000/svg}title").text.split("\n")[0])
' "$SANDBOX/waiting.svg")" "task 1's tooltip: waiting, why and the prompt"
assert_match 'earlier attempts from the job log' "$(grep -o '<text class="sub"[^<]*' "$SANDBOX/waiting.svg")" \
	"live: the header says where the earlier attempt comes from"

ctl -n "$RUN" interrupt 1
assert_eq 0 "$CTL_RC" "oneshot-ctl interrupt 1 ($CTL_ERR)"
wait_gone "$SUP_PID" 20
read -r peak slow <<<"$(joblog_facts "$LOG")"
ps_run --timeline -L "$LOG"
assert_eq 0 "$PS_RC" "--timeline -L of the retried run ($PS_ERR)"
assert_eq ok "$(check_svg "$SANDBOX/ps.out" 1:interrupted 2:failed 3:completed 4:completed \
	'status=done, exit 1' now=0 tries=2:2,1:1 peak="$peak" slow="$slow" cap=0 \
	'legend=COMPLETED:2,FAILED:1,INTERRUPTED:1,↻ retried:1')" \
	"from the job log: every attempt, the load's peak ($peak) and the slowest ($slow)"
assert_match '4 tasks, 5 attempts in ' "$(grep -o '<text class="sub"[^<]*' "$SANDBOX/ps.out")" \
	"from the job log: tasks and attempts in the header"

# --- drawn by a browser -------------------------------------------------
# Its profile and anything it writes under HOME stay in the sandbox.
CHROMIUM=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
mkdir -p "$SANDBOX/chromium"
chromium() {
	HOME="$SANDBOX/chromium" timeout -k 5 $((60 * SLOW)) "$CHROMIUM" --headless --no-sandbox \
		--disable-gpu --hide-scrollbars --user-data-dir="$SANDBOX/chromium" "$@" </dev/null
}

# png_colours PNG: how many colours the PNG has, which of the bars' colours
# are among them, and, after a '|', those that cover more than 300 pixels:
# more than the legend's swatch of 11 x 11 (decoded with the standard
# library only)
png_colours() {
	"$PYTHON" - "$1" <<'PY'
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
prev, seen, at = bytearray(stride), {}, 0
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
        px = bytes(line[i:i + 3])
        seen[px] = seen.get(px, 0) + 1
    prev = line
def pixels(rgb):
    return sum(n for s, n in seen.items() if all(abs(p - q) <= 6 for p, q in zip(rgb, s)))
names = {"completed": (0x4c, 0x78, 0xa8), "failed": (0xe4, 0x57, 0x56),
         "interrupted": (0xb2, 0x79, 0xa2), "running": (0x54, 0xa2, 0x4b),
         "idle": (0xee, 0xca, 0x3b), "waiting": (0xf5, 0x85, 0x18)}
count = {k: pixels(v) for k, v in sorted(names.items())}
print(len(seen), " ".join(k for k, n in count.items() if n), "|",
      " ".join(k for k, n in count.items() if n > 300))
PY
}

# render SVG PNG: the SVG drawn by the browser at its own size
render() {
	local size
	size=$(sed -n 's/.*<svg [^>]* width="\([0-9]*\)" height="\([0-9]*\)".*/\1,\2/p' "$1")
	chromium --window-size="$size" --screenshot="$2" "file://$1" >/dev/null 2>&1
	[ -s "$2" ] || fail "chromium --screenshot made no PNG of $1"
}

if [ -z "$CHROMIUM" ]; then
	note "chromium is not installed: the SVG is not rendered (Debian: apt-get install chromium)"
elif ! chromium --version >/dev/null 2>&1; then
	note "$CHROMIUM --version fails: the SVG is not rendered"
else
	render "$SANDBOX/live.svg" "$SANDBOX/live.png"
	if [ -s "$SANDBOX/live.png" ]; then
		colours=$(png_colours "$SANDBOX/live.png")
		assert_match '^[0-9]+ completed failed idle interrupted running waiting \| .*interrupted' \
			"$colours" "the PNG of the SVG: colours, the bars' among them, task 4's large"
		assert_match '\| .*(running|idle)' "$colours" "the PNG of the SVG: task 5's colour, large"
		[ "${colours%% *}" -gt 1 ] 2>/dev/null || fail "the PNG is blank: [$colours]"
	fi
	render "$SANDBOX/waiting.svg" "$SANDBOX/waiting.png"
	[ -s "$SANDBOX/waiting.png" ] &&
		assert_match '\| .*waiting' "$(png_colours "$SANDBOX/waiting.png")" \
			"the PNG of the waiting run: the waiting task's colour, large"
fi

# --- after the end: from the table, then from the log directory ------------
RUN=$RUN_A LOG=$LOG_A
gate_open "$GATE"
wait_gone "$SUP_A" 20
ps_run -n "$RUN" --timeline
assert_eq ok "$(check_svg "$SANDBOX/ps.out" 1:completed 2:failed 3:completed 4:interrupted \
	5:completed 6:completed 'status=done, exit 1' lanes=3 now=0 cap=3 slow=5 \
	'legend=COMPLETED:4,FAILED:1,INTERRUPTED:1,RUNNING:0,IDLE:0')" "finished run's SVG"
ps_run --rm "$RUN"
assert_eq 0 "$PS_RC" "--rm the finished run"
ps_run -n "$RUN" --timeline
assert_eq 1 "$PS_RC" "--timeline of a run whose table is gone, by name"
read -r peak slow <<<"$(joblog_facts "$LOG")"
assert_eq 5 "$slow" "the job log's slowest task: 5 (the gate opened last)"
ps_run --timeline -L "$LOG"
assert_eq 0 "$PS_RC" "--timeline -L LOGDIR exit status ($PS_ERR)"
assert_eq ok "$(check_svg "$SANDBOX/ps.out" 1:completed 2:failed 3:completed 4:interrupted \
	5:completed 6:completed 'status=done, exit 1' lanes=3 now=0 peak="$peak" cap=0 slow=5)" \
	"the SVG from LOGDIR/joblog"
assert_match "oneshot run $RUN: done" "$(grep -o '<text class="title"[^<]*' "$SANDBOX/ps.out")" \
	"the run's name from summary.json"
assert_eq "$MARKUP" "$(tooltip "$SANDBOX/ps.out" 3)" "task 3's command from the job log"
cp "$SANDBOX/ps.out" "$SANDBOX/L.svg"
ps_run --timeline "$LOG"
assert_eq 0 "$PS_RC" "--timeline LOGDIR, the operand alone ($PS_ERR)"
cmp -s "$SANDBOX/L.svg" "$SANDBOX/ps.out" || fail "--timeline LOGDIR and --timeline -L LOGDIR differ"
ps_run --timeline -j 3 -o "$SANDBOX/j.svg" --log-dir "$LOG"
assert_eq 0 "$PS_RC" "--timeline -j 3 --log-dir LOGDIR ($PS_ERR)"
assert_eq ok "$(check_svg "$SANDBOX/j.svg" 1:completed 2:failed 3:completed 4:interrupted \
	5:completed 6:completed peak="$peak" cap=3)" "-j 3: the load chart's cap line"

# --- bounded: 100,000 tasks ------------------------------------------------
mkdir "$SANDBOX/big"
"$PYTHON" - "$SANDBOX/big/joblog" "$JOBLOG_HEADER" <<'PY'
import sys
out = [sys.argv[2]]
for i in range(1, 100001):
    lane, k = i % 64, i // 64
    state = "FAILED\t1\t-" if i % 97 == 0 else "COMPLETED\t1\t-"
    run = {99999: 7.5, 100000: 9.25}.get(i, 2.9)  # the last two: stragglers
    out.append("%d\t:\t%.3f\t%.3f\t0\t3\t%d\t0\t%s\tsleep 3 # '<&>\"' %d"
               % (i, 1765000000 + k * 3 + lane * 0.01, run, 1 if i % 97 == 0 else 0, state, i))
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
ps_run --timeline -j 64 -L "$SANDBOX/big"
assert_eq 0 "$PS_RC" "--timeline of 100,000 tasks ($PS_ERR)"
bytes=$(wc -c <"$SANDBOX/ps.out")
assert_le "$bytes" 8000000 "100,000 tasks: bytes of SVG"
assert_eq ok "$(check_svg "$SANDBOX/ps.out" lanes=64 peak=64 cap=64 slow=100000 \
	'legend=COMPLETED:98970,FAILED:1030')" \
	"100,000 tasks: well-formed, no bar each, the counts, the load chart, the slowest"
assert_match 'grid of 64 ' "$(grep -o '<text class="sub"[^<]*' "$SANDBOX/ps.out" | tail -1)" \
	"100,000 tasks: drawn as a grid"
assert_eq "100000 99999" "$(grep -o 'class="slow"[^>]*data-task="[0-9]*"' "$SANDBOX/ps.out" |
	sed 's/.*data-task="//; s/"//' | tr '\n' ' ' | sed 's/ $//')" \
	"100,000 tasks: only the two stragglers labelled (the others are the median)"
assert_eq 2 "$(grep -c '<path class="mark"' "$SANDBOX/ps.out")" "100,000 tasks: the stragglers marked"

# --- usage and errors --------------------------------------------------------
ps_run --timeline
assert_eq 2 "$PS_RC" "--timeline without a run or log directory"
ps_run --timeline "$LOG" "$LOG"
assert_eq 2 "$PS_RC" "--timeline with two log directories"
ps_run --timeline -L "$LOG" "$LOG"
assert_eq 2 "$PS_RC" "--timeline -L LOGDIR and an operand"
ps_run -n "$RUN" --timeline -L "$LOG"
assert_eq 2 "$PS_RC" "--timeline -n NAME -L LOGDIR"
ps_run -n "$RUN" --timeline -j 3
assert_eq 2 "$PS_RC" "--timeline -n NAME -j 3"
ps_run -L "$LOG"
assert_eq 2 "$PS_RC" "-L without --timeline"
ps_run --merge -L "$LOG" "$LOG"
assert_eq 2 "$PS_RC" "--merge -L"
for bad in 0 4097 x ''; do
	ps_run --timeline -j "$bad" -L "$LOG"
	assert_eq 2 "$PS_RC" "--timeline -j '$bad'"
done
ps_run -n "$RUN" --timeline --json
assert_eq 2 "$PS_RC" "--timeline --json"
ps_run -n "$RUN" --timeline -f
assert_eq 2 "$PS_RC" "--timeline -f"
ps_run -u 0 --timeline "$LOG"
assert_eq 2 "$PS_RC" "--timeline LOGDIR -u"
ps_run -o "$SANDBOX/x.svg" -n "$RUN"
assert_eq 2 "$PS_RC" "-o without --merge or --timeline"
ps_run --timeline -L "$SANDBOX/nosuch"
assert_eq 1 "$PS_RC" "--timeline of a missing directory"
ps_run --timeline -L "$SANDBOX"
assert_eq 1 "$PS_RC" "--timeline of a directory without a job log"
assert_match 'no joblog' "$PS_ERR" "--timeline of a directory without a job log: message"
ps_run -n "nosuch-$RUN" --timeline
assert_eq 1 "$PS_RC" "--timeline of no such run"
