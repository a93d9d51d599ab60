#!/bin/bash
# metrics.sh: --metrics FILE and --syslog.
#  - --metrics: the file is Prometheus text format as a real parser reads it
#    (prometheus_client's, Debian python3-prometheus-client; skipped without
#    it), with HELP and TYPE for every family: tasks per state, tasks
#    waiting for input (tests/e2e/ps-waiting.sh has one), tasks,
#    cap, start time, duration, last success time, interrupts by reason,
#    failures, exit status.  Right at the end (counts per state, exit status,
#    interrupts by reason after --timeout and after SIGTERM, last success =
#    the latest end of a COMPLETED task in the joblog); mid-run it shows the
#    running tasks, exit status -1, and it is rewritten every 5 s.  Always a
#    whole file: a reader parsing it in a loop during runs never sees a part
#    of one; no FILE.tmp.PID is left behind.  A relative FILE is the
#    caller's cwd's.
#  - A FILE that cannot be written (missing directory, a directory, a file
#    as directory) is refused at startup: exit 2, one line naming --metrics,
#    nothing started.  A write that fails later: one warning, the run goes
#    on and its exit status is unchanged.
#  - --syslog: run start, each FAILED or INTERRUPTED task (state, exit or
#    reason, command cut to 100 characters) and run end reach /dev/log as
#    LOG_USER datagrams with the run name as ident and the supervisor's pid,
#    info for start and end, warning for tasks.  Checked against a listener
#    put at /dev/log in a private mount namespace (unshare -m); that part is
#    skipped when the namespace or the mounts are not permitted.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"

PROG=oneshotd-supervise

"$PYTHON" -c 'import prometheus_client.parser' 2>/dev/null ||
	skip "python3 prometheus_client is needed to parse the metrics (Debian: python3-prometheus-client)"

# prom_check FILE RUN: parse FILE with prometheus_client; print one line per
# sample, "NAME LABEL=VALUE,... VALUE" (labels sorted, the run label left
# out after checking it), then "INCOMPLETE: why" for anything missing or
# malformed.  Used on whole files only.
PROM_PY=$(cat <<'EOF'
import sys, re
from prometheus_client.parser import text_string_to_metric_families

FAMILIES = {
    "oneshot_tasks": "gauge", "oneshot_tasks_waiting": "gauge",
    "oneshot_run_tasks": "gauge", "oneshot_run_cap": "gauge",
    "oneshot_run_start_time_seconds": "gauge", "oneshot_run_duration_seconds": "gauge",
    "oneshot_last_success_timestamp_seconds": "gauge",
    "oneshot_task_interrupts": "counter", "oneshot_task_failures": "counter",
    "oneshot_task_retries": "counter",
    "oneshot_run_exit_status": "gauge",
}
STATES = {"created", "running", "idle", "interrupted", "completed", "failed"}
REASONS = {"timeout", "idle-timeout", "shutdown", "signal"}
LINE = re.compile(r'^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\} -?[0-9]+(\.[0-9]+)?)$')

def check(text, run):
    """(sample lines, problems) of one file's text"""
    out, bad = [], []
    if not text.endswith("\n"):
        bad.append("no newline at the end")
    for l in text.splitlines():
        if not LINE.match(l):
            bad.append("line not in the expected format: %r" % l)
    try:
        fams = list(text_string_to_metric_families(text))
    except Exception as x:
        return out, ["parser: %r" % x]
    seen = {}
    for f in fams:
        seen[f.name] = f
        if f.name not in FAMILIES:
            bad.append("unexpected family %s" % f.name)
            continue
        if f.type != FAMILIES[f.name]:
            bad.append("%s: type %s" % (f.name, f.type))
        if not f.documentation:
            bad.append("%s: no HELP" % f.name)
        for s in f.samples:
            labels = dict(s.labels)
            if labels.pop("run", None) != run:
                bad.append("%s: run label %r" % (s.name, s.labels.get("run")))
            v = s.value
            v = str(int(v)) if float(v).is_integer() else repr(v)
            out.append("%s %s %s" % (s.name, ",".join("%s=%s" % kv for kv in sorted(labels.items())) or "-", v))
    for name in FAMILIES:
        if name not in seen:
            bad.append("family %s missing" % name)
        elif not seen[name].samples:
            bad.append("family %s has no sample" % name)
    if "oneshot_tasks" in seen:
        st = {s.labels.get("state") for s in seen["oneshot_tasks"].samples}
        if st != STATES:
            bad.append("states %s" % sorted(st))
    if "oneshot_task_interrupts" in seen:
        rs = {s.labels.get("reason") for s in seen["oneshot_task_interrupts"].samples}
        if not REASONS <= rs:
            bad.append("reasons %s" % sorted(rs))
    return out, bad
EOF
)

prom_check() {
	"$PYTHON" - "$1" "$2" <<EOF
$PROM_PY
try:
    text = open(sys.argv[1]).read()
except OSError as x:
    print("INCOMPLETE: %s" % x); sys.exit(0)
out, bad = check(text, sys.argv[2])
print("\n".join(out))
for b in bad:
    print("INCOMPLETE: %s" % b)
EOF
}

# val DUMP NAME [LABELS]: the value of one sample in prom_check's output
val() {
	awk -v n="$2" -v l="${3:--}" '$1 == n && $2 == l { v = $3; c++ } END { print c == 1 ? v : (c ? "MANY" : "MISSING") }' <<<"$1"
}

# no_tmp DIR WHAT: no FILE.tmp.PID left in DIR
no_tmp() {
	local left
	left=$(cd "$1" && ls -A | grep -F '.tmp.' || true)
	assert_eq "" "$left" "$2: temporary files left in $1"
}

# wait_go FILE: a task line that waits (at most 30 s) for FILE to exist
wait_go() {
	echo "i=0; while [ ! -e '$1' ] && [ \$i -lt 600 ]; do sleep 0.05; i=\$((i+1)); done"
}

# ---------------------------------------------------------- refused at startup
new_run bad
printf 'true\n' >"$SANDBOX/tasks.one"
refused() { # WHAT FILE
	local err
	supervise --metrics "$2" -n "$RUN" -L "$LOG" "$SANDBOX/tasks.one" </dev/null >"$SANDBOX/bad.out" 2>"$SANDBOX/bad.err"
	assert_eq 2 "$?" "refused ($1): exit status"
	err=$(cat "$SANDBOX/bad.err")
	assert_eq 1 "$(wc -l <"$SANDBOX/bad.err" | tr -d ' ')" "refused ($1): lines on stderr [$err]"
	assert_match "^$PROG: error: --metrics: " "$err" "refused ($1): the message names --metrics"
	assert_no_file "$SHM" "refused ($1): no table"
	assert_no_file "$LOG" "refused ($1): no log directory"
}
refused "missing directory" "$SANDBOX/no-such-dir/m.prom"
refused "a directory" "$SANDBOX"
touch "$SANDBOX/plain"
refused "a file as directory" "$SANDBOX/plain/m.prom"
refused "empty" ""
if [ "$E2E_UID" != 0 ]; then
	mkdir "$SANDBOX/ro" && chmod 555 "$SANDBOX/ro"
	refused "directory not writable" "$SANDBOX/ro/m.prom"
	assert_eq "" "$(ls -A "$SANDBOX/ro")" "refused: nothing left in the directory"
	chmod 755 "$SANDBOX/ro"
else
	note "as root every directory is writable: the read-only case is not tried"
fi
assert_eq "" "$(ls -A "$SANDBOX" | grep -F .tmp. || true)" "refused: temporary files left"

# ------------------------------------------------ end values, --timeout interrupts
new_run end
mkdir "$SANDBOX/prom"
printf '%s\n' 'true' 'sleep 0.3' 'exit 3' 'sleep 30' 'kill -KILL $$' >"$SANDBOX/tasks.end"
t0=$(date +%s.%N)
# a relative FILE: the caller's directory
(cd "$SANDBOX/prom" && supervise -j 5 --timeout 1 --grace 1 --metrics end.prom -n "$RUN" -L "$LOG" \
	"$SANDBOX/tasks.end" </dev/null >"$SANDBOX/end.out" 2>"$SANDBOX/end.err")
assert_eq 1 "$?" "end: exit status"
t1=$(date +%s.%N)
D=$(prom_check "$SANDBOX/prom/end.prom" "$RUN")
assert_eq "" "$(grep INCOMPLETE <<<"$D")" "end: the file as parsed"
for s in created:0 running:0 idle:0 completed:2 failed:2 interrupted:1; do
	assert_eq "${s#*:}" "$(val "$D" oneshot_tasks "state=${s%:*}")" "end: tasks ${s%:*}"
done
assert_eq 0 "$(val "$D" oneshot_tasks_waiting)" "end: tasks waiting for input"
assert_eq 5 "$(val "$D" oneshot_run_tasks)" "end: tasks"
assert_eq 5 "$(val "$D" oneshot_run_cap)" "end: cap"
assert_eq 1 "$(val "$D" oneshot_run_exit_status)" "end: exit status"
assert_eq 1 "$(val "$D" oneshot_task_interrupts_total reason=timeout)" "end: interrupts (timeout)"
for r in idle-timeout shutdown signal; do
	assert_eq 0 "$(val "$D" oneshot_task_interrupts_total "reason=$r")" "end: interrupts ($r)"
done
assert_eq 2 "$(val "$D" oneshot_task_failures_total)" "end: failures"
assert_eq 0 "$(val "$D" oneshot_task_retries_total)" "end: no retries without --retries"
start=$(val "$D" oneshot_run_start_time_seconds)
dur=$(val "$D" oneshot_run_duration_seconds)
last=$(val "$D" oneshot_last_success_timestamp_seconds)
# the latest end of a COMPLETED task, from the joblog (start + runtime)
want=$(awk -F '\t' 'NR > 1 && $9 == "COMPLETED" { e = $3 + $4; if (e > m) m = e } END { printf "%.3f", m }' "$LOG/joblog")
ok=$(awk -v t0="$t0" -v t1="$t1" -v s="$start" -v d="$dur" -v l="$last" -v w="$want" 'BEGIN {
	if (s < t0 - 0.01 || s > t1) { print "start " s " not within [" t0 ", " t1 "]"; exit }
	if (d < 1 || s + d > t1 + 0.01) { print "duration " d " (start " s ", ended by " t1 ")"; exit }
	if (l - w > 0.01 || w - l > 0.01) { print "last success " l ", joblog says " w; exit }
	if (l < s + 0.3) { print "last success " l " is not the end of sleep 0.3 (start " s ")"; exit }
	print "ok" }')
assert_eq ok "$ok" "end: times"
assert_eq "" "$(cat "$SANDBOX/end.out")" "end: stdout"
no_tmp "$SANDBOX/prom" "end"
assert_eq 644 "$(stat -c %a "$SANDBOX/prom/end.prom")" "end: file mode (read by node_exporter)"

# --------------------------------------- shutdown: exit status 143, reason shutdown
new_run stop
printf '%s\n' 'sleep 30' 'sleep 30' >"$SANDBOX/tasks.stop"
start_bg -j 1 --metrics "$SANDBOX/prom/stop.prom" -n "$RUN" -L "$LOG" "$SANDBOX/tasks.stop" </dev/null 2>"$SANDBOX/stop.err"
wait_for "[ \"\$(states '$LOG' 1)\" = RUNNING ]" 20 || fail "stop: task 1 did not start"
D=$(prom_check "$SANDBOX/prom/stop.prom" "$RUN")
assert_eq "" "$(grep INCOMPLETE <<<"$D")" "stop: the file at the start"
assert_eq -1 "$(val "$D" oneshot_run_exit_status)" "stop: exit status while running"
assert_eq 0 "$(val "$D" oneshot_last_success_timestamp_seconds)" "stop: last success before any"
kill -TERM "$SUP_PID"
wait_exit "$SUP_PID" 20
assert_eq 143 "$EXIT_STATUS" "stop: exit status"
D=$(prom_check "$SANDBOX/prom/stop.prom" "$RUN")
assert_eq "" "$(grep INCOMPLETE <<<"$D")" "stop: the file at the end"
assert_eq 143 "$(val "$D" oneshot_run_exit_status)" "stop: exit status metric"
assert_eq 1 "$(val "$D" oneshot_task_interrupts_total reason=shutdown)" "stop: interrupts (shutdown)"
assert_eq 1 "$(val "$D" oneshot_tasks state=interrupted)" "stop: interrupted"
assert_eq 1 "$(val "$D" oneshot_tasks state=created)" "stop: never started"
assert_eq 0 "$(val "$D" oneshot_last_success_timestamp_seconds)" "stop: last success (none completed)"
no_tmp "$SANDBOX/prom" "stop"

# ---------------------------------- a write failing later: one warning, run goes on
new_run werr
mkdir "$SANDBOX/gone"
printf '%s\n' 'sleep 5.6' >"$SANDBOX/tasks.werr"
start_bg --metrics "$SANDBOX/gone/m.prom" -n "$RUN" -L "$LOG" "$SANDBOX/tasks.werr" </dev/null 2>"$SANDBOX/werr.err"
WERR_PID=$SUP_PID
wait_for "[ -f '$SANDBOX/gone/m.prom' ]" 10 || fail "werr: no metrics file at the start"
rm -rf "$SANDBOX/gone"

# --------------------------------------- mid-run, every 5 s, never a partial file
# A reader parses the file in a loop, during this run and during a series of
# short runs writing the same file, and counts what it saw.
new_run mid
MID="$SANDBOX/prom/mid.prom"
GO="$SANDBOX/go.mid"
printf '%s\n' "$(wait_go "$GO")" "$(wait_go "$GO")" "$(wait_go "$GO")" true true >"$SANDBOX/tasks.mid"
"$PYTHON" - "$MID" "$SANDBOX/stop.reader" "$SANDBOX/reader.out" <<EOF &
$PROM_PY
import os, time, hashlib
path, stop, out = sys.argv[1:4]
reads, versions, bad, missing = 0, set(), [], 0
while not os.path.exists(stop):
    try:
        text = open(path).read()
    except FileNotFoundError:
        missing += 1
        time.sleep(0.001)
        continue
    reads += 1
    h = hashlib.sha1(text.encode()).hexdigest()
    if h not in versions:
        versions.add(h)
        m = re.search(r'run="([^"]*)"', text)
        _, b = check(text, m.group(1) if m else "?")
        if b:
            bad.append("%s in %r" % (b, text[-200:]))
with open(out, "w") as f:
    f.write("%d %d %d\n" % (reads, len(versions), len(bad)))
    for b in bad[:5]:
        f.write("BAD %s\n" % b)
EOF
READER=$!
start_bg -j 3 --metrics "$MID" -n "$RUN" -L "$LOG" "$SANDBOX/tasks.mid" </dev/null 2>"$SANDBOX/mid.err"
MID_PID=$SUP_PID
wait_for "[ -f '$MID' ]" 10 || fail "mid: no metrics file at the start"
D=$(prom_check "$MID" "$RUN")
assert_eq -1 "$(val "$D" oneshot_run_exit_status)" "mid: exit status at the start"
assert_eq 5 "$(val "$D" oneshot_run_tasks)" "mid: tasks at the start"
# the first periodic write: 5 s after the start, showing the 3 running
wait_for "[ \"\$(val \"\$(prom_check '$MID' '$RUN')\" oneshot_tasks state=running)\" = 3 ]" 9 ||
	fail "mid: no file with 3 running tasks within 9 s"
D=$(prom_check "$MID" "$RUN")
assert_eq "" "$(grep INCOMPLETE <<<"$D")" "mid: the file as parsed"
assert_eq 3 "$(val "$D" oneshot_tasks state=running)" "mid: running"
assert_eq 2 "$(val "$D" oneshot_tasks state=created)" "mid: waiting"
assert_eq 0 "$(val "$D" oneshot_tasks state=completed)" "mid: completed"
assert_eq -1 "$(val "$D" oneshot_run_exit_status)" "mid: exit status while running"
dur=$(val "$D" oneshot_run_duration_seconds)
assert_eq ok "$(awk -v d="$dur" 'BEGIN { print (d >= 4.9 && d < 7) ? "ok" : "duration " d }')" \
	"mid: written again about 5 s after the start"
proc_alive "$MID_PID" || fail "mid: the run ended early"
touch "$GO"
wait_exit "$MID_PID" 20
assert_eq 0 "$EXIT_STATUS" "mid: exit status"
D=$(prom_check "$MID" "$RUN")
assert_eq 5 "$(val "$D" oneshot_tasks state=completed)" "mid: completed at the end"
assert_eq 0 "$(val "$D" oneshot_run_exit_status)" "mid: exit status at the end"
assert_eq "" "$(cat "$SANDBOX/mid.err")" "mid: stderr (quiet on success)"
# more rewrites of the same file while the reader goes on
printf 'true\ntrue\n' >"$SANDBOX/tasks.short"
for i in $(seq 1 15); do
	new_run "short$i"
	supervise -j 2 --metrics "$MID" -n "$RUN" -L "$LOG" "$SANDBOX/tasks.short" </dev/null 2>>"$SANDBOX/short.err" ||
		fail "short run $i: exit status $?"
done
touch "$SANDBOX/stop.reader"
wait "$READER"
read -r reads versions nbad <"$SANDBOX/reader.out"
note "reader: $reads reads, $versions versions of the file, $nbad bad"
assert_eq 0 "$nbad" "reader: files not whole ($(grep BAD "$SANDBOX/reader.out" | head -n 2))"
assert_le 200 "$reads" "reader: reads made"
assert_le 20 "$versions" "reader: versions of the file seen"
no_tmp "$SANDBOX/prom" "mid and short runs"

# ------------------------------------------------------- the failing write's run
wait_exit "$WERR_PID" 20
assert_eq 0 "$EXIT_STATUS" "werr: exit status (a metrics write is not a task)"
werr=$(cat "$SANDBOX/werr.err")
assert_match "^$PROG: warning: --metrics: write $SANDBOX/gone/m.prom \\(the run goes on; trying again every 5 s\\): No such file or directory\$" \
	"$werr" "werr: one warning for two failed writes (5 s and the end)"

# ------------------------------------------------------------------- --syslog
LISTENER=$(cat <<'EOF'
import socket, sys, os, time
path, out, stop = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(0.1)
deadline = time.time() + 60
with open(out, "w") as f:
    while time.time() < deadline and not os.path.exists(stop):
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        f.write(d.decode("utf-8", "replace").replace("\n", "\\n").rstrip("\0") + "\n")
        f.flush()
EOF
)
# in_devlog_ns SOCKET CMD...: run CMD in a private mount namespace whose
# /dev is a tmpfs holding SOCKET as log and the nodes and mounts a run needs
# bound from the real /dev (/dev/log need not exist outside).
in_devlog_ns() {
	local sock=$1
	shift
	unshare -m --propagation private /bin/sh -ec '
		root=$1 sock=$2
		shift 2
		mkdir -p "$root"
		mount -t tmpfs -o mode=755 oneshot-dev "$root"
		for n in null zero full random urandom tty; do
			[ -e "/dev/$n" ] || continue
			touch "$root/$n"
			mount --bind "/dev/$n" "$root/$n"
		done
		for d in pts shm; do
			mkdir "$root/$d"
			mount --rbind "/dev/$d" "$root/$d"
		done
		# the pty multiplexer of the instance at /dev/pts, as containers do
		ln -s pts/ptmx "$root/ptmx"
		ln -s /proc/self/fd "$root/fd"
		ln -s /proc/self/fd/0 "$root/stdin"
		ln -s /proc/self/fd/1 "$root/stdout"
		ln -s /proc/self/fd/2 "$root/stderr"
		touch "$root/log"
		mount --bind "$sock" "$root/log"
		mount --move "$root" /dev
		exec "$@"
	' sh "$SANDBOX/devroot" "$sock" "$@"
}

SOCK="$SANDBOX/log.sock"
"$PYTHON" -c "$LISTENER" "$SOCK" "$SANDBOX/syslog.out" "$SANDBOX/stop.listener" &
LPID=$!
wait_for "[ -S '$SOCK' ]" 10 || fatal "syslog: the listener did not start"
if ! in_devlog_ns "$SOCK" /bin/sh -c '[ -S /dev/log ] && [ -d /dev/shm ] && exec 3<>/dev/ptmx' 2>"$SANDBOX/ns.err"; then
	note "SKIPPED the --syslog checks: no private mount namespace with a /dev/log of our own here ($(head -c 200 "$SANDBOX/ns.err"))"
else
	new_run sys
	LONGCMD="exit 4 # $(printf 'y%.0s' $(seq 1 150))"
	printf '%s\n' 'true' 'exit 3' 'sleep 30' "$LONGCMD" >"$SANDBOX/tasks.sys"
	printf 'exit 5\t# tab\n' >>"$SANDBOX/tasks.sys"
	in_devlog_ns "$SOCK" timeout -k 5 60 "$SUPERVISE" -j 5 --syslog --timeout 1 --grace 1 -n "$RUN" -L "$LOG" \
		"$SANDBOX/tasks.sys" </dev/null >/dev/null 2>"$SANDBOX/sys.err"
	assert_eq 1 "$?" "syslog: exit status"
	SPID=$(json_get "$LOG/summary.json" supervisor_pid)
	wait_for "grep -q 'run ended' '$SANDBOX/syslog.out'" 5 || fail "syslog: no end message received"
	# "<PRI>Mmm dd hh:mm:ss IDENT[PID]: MESSAGE" -> "PRI|IDENT|PID|MESSAGE"
	got=$(cat "$SANDBOX/syslog.out" |
		sed -E 's/^<([0-9]+)>[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} ([^[]+)\[([0-9]+)\]: /\1|\2|\3|/')
	cut97=${LONGCMD:0:97}
	expect="14|$RUN|$SPID|run started: 5 tasks, cap 5, pid $SPID, log dir $LOG
12|$RUN|$SPID|task 2 FAILED (exit 3): exit 3
12|$RUN|$SPID|task 3 INTERRUPTED (timeout): sleep 30
12|$RUN|$SPID|task 4 FAILED (exit 4): $cut97...
12|$RUN|$SPID|task 5 FAILED (exit 5): exit 5?# tab
14|$RUN|$SPID|run ended: exit status 1, 5 tasks: 1 completed, 3 failed, 1 interrupted, 0 not started, in T"
	# the tasks in task order (they end in any order), the duration as T
	norm=$( (head -n 1 <<<"$got"; sed '1d;$d' <<<"$got" | sort -t ' ' -k 2,2n; tail -n 1 <<<"$got") |
		sed -E 's/ in [0-9.]+s$/ in T/; s/ in [0-9]+m[0-9]{2}s$/ in T/')
	assert_eq "$expect" "$norm" "syslog: the messages received"
	assert_eq 6 "$(wc -l <<<"$got" | tr -d ' ')" "syslog: number of messages"
	assert_eq "" "$(sed -n '2,$p' "$SANDBOX/sys.err" | grep -v '^  task ' || true)" "syslog: stderr beyond the report"

	# without --syslog: nothing is sent
	new_run nosys
	cp "$SANDBOX/syslog.out" "$SANDBOX/syslog.before"
	printf '%s\n' 'true' 'exit 3' >"$SANDBOX/tasks.nosys"
	in_devlog_ns "$SOCK" timeout -k 5 60 "$SUPERVISE" -n "$RUN" -L "$LOG" "$SANDBOX/tasks.nosys" </dev/null >/dev/null 2>&1
	assert_eq 1 "$?" "no syslog: exit status"
	sleep 0.3
	assert_eq "$(cat "$SANDBOX/syslog.before")" "$(cat "$SANDBOX/syslog.out")" "syslog: messages without --syslog"
fi
touch "$SANDBOX/stop.listener"
wait "$LPID"
