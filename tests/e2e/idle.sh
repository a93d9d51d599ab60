#!/bin/bash
# idle.sh: silence detection. With --idle-after 0.5 a task that prints, stays
# silent for 1.5 s, prints again and exits goes RUNNING -> IDLE -> RUNNING ->
# COMPLETED (events.jsonl, in order, from/to chained, not IDLE before 0.5 s of
# silence); the test sees it IDLE while it is still silent; a task printing
# every 0.1 s never goes IDLE.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"

new_run main
GO="$SANDBOX/go"
cat >"$SANDBOX/tasks" <<EOF
echo one; sleep 1.5; i=0; while [ ! -e '$GO' ] && [ \$i -lt 600 ]; do sleep 0.05; i=\$((i+1)); done; echo two
i=0; while [ \$i -lt 15 ]; do echo tick \$i; sleep 0.1; i=\$((i+1)); done
EOF

start_bg -j 2 --idle-after 0.5 -n "$RUN" -L "$LOG" "$SANDBOX/tasks"
# the test watches task 1 go IDLE while it is silent
# (whether the transcript is current while the task is silent: transcript.sh)
wait_for '[ "$(states "$LOG" 1)" = "RUNNING IDLE" ]' 20 ||
	fail "task 1 did not go RUNNING -> IDLE within 20 s; its states: [$(states "$LOG" 1)]"
touch "$GO"
wait_exit "$SUP_PID" 30
assert_eq 0 "$EXIT_STATUS" "exit status"

assert_eq "RUNNING IDLE RUNNING COMPLETED" "$(states "$LOG" 1)" "task 1 states in events.jsonl"
ev=$(events "$LOG" 1)
assert_eq "start detect_silence detect_activity finish" "$(awk '{ printf "%s%s", s, $1; s = " " }' <<<"$ev")" \
	"task 1 event names"
assert_eq "CREATED RUNNING IDLE RUNNING" "$(awk '{ printf "%s%s", s, $2; s = " " }' <<<"$ev")" \
	"task 1 from-states"
# times: non-decreasing; IDLE no sooner than 0.5 s after start (the task printed
# "one" right after it started, so silence began after the start event);
# back to RUNNING at least ~1 s after going IDLE (1.5 s of silence)
read -r t_start t_idle t_back t_end <<<"$(awk '{ printf "%s ", $5 }' <<<"$ev")"
if [ -n "${t_end:-}" ]; then
	ok=$(awk -v a="$t_start" -v b="$t_idle" -v c="$t_back" -v d="$t_end" 'BEGIN {
		if (!(a <= b && b <= c && c <= d)) { print "times not in order: " a " " b " " c " " d; exit }
		if (b - a < 0.45) { print "IDLE " (b - a) " s after start, before --idle-after 0.5"; exit }
		if (c - b < 0.9) { print "back to RUNNING " (c - b) " s after IDLE, the task was silent 1.5 s"; exit }
		print "ok" }')
	assert_eq ok "$ok" "task 1 event times"
fi

assert_eq "RUNNING COMPLETED" "$(states "$LOG" 2)" "task 2 (prints every 0.1 s) states"
assert_eq COMPLETED "$(joblog_col "$LOG" 1 State)" "task 1 State (joblog)"
assert_eq COMPLETED "$(joblog_col "$LOG" 2 State)" "task 2 State (joblog)"
assert_eq "one two" "$(tr -d '\r' <"$LOG/1.log" | tr '\n' ' ' | sed 's/ $//')" "task 1 transcript"

# every line of events.jsonl names this run
bad=$("$PYTHON" - "$LOG/events.jsonl" "$RUN" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("run") != sys.argv[2]:
        print("run=%r" % e.get("run")); break
    n += 1
print("lines", n)
PY
)
assert_match '^lines [0-9]+$' "$bad" "events.jsonl \"run\" fields"

assert_no_survivors "$RUN" 3
