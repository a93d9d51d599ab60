#!/bin/bash
# shutdown-many.sh: SIGTERM / SIGINT to a supervisor with 100 running tasks
# (cap 100). On shutdown the supervisor SIGTERMs every task group before it
# tells any worker, so a worker often reaps its task before its own SIGTERM
# arrives; it must still record INTERRUPTED with reason shutdown, never
# FAILED (killed by signal 15) or COMPLETED. The tasks are of three kinds:
#  - `sleep 60`, exec'd directly: dies of SIGTERM;
#  - a shell that traps TERM and exits 3;
#  - a shell that traps TERM and exits 0 (stopping cleanly is still being
#    interrupted, and --resume must run it again).
# Checked: exit 143 / 130; per task exactly "RUNNING INTERRUPTED" in
# events.jsonl with reason shutdown; 100 joblog lines, all INTERRUPTED;
# summary.json counts; the exit of the trapping shells kept in the joblog;
# nothing of the run alive.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"

N=100

# make_tasks FILE READYDIR: N lines, every 10th a shell exiting 3 on TERM,
# every 10th + 5 one exiting 0; the shells touch READYDIR/ID once trapped.
make_tasks() {
	local i
	: >"$1"
	for ((i = 1; i <= N; i++)); do
		case $((i % 10)) in
		0) echo "trap 'exit 3' TERM; touch '$2/'\$ONESHOT_TASK_ID; sleep 60 & wait" ;;
		5) echo "trap 'exit 0' TERM; touch '$2/'\$ONESHOT_TASK_ID; sleep 60 & wait" ;;
		*) echo "sleep 60" ;;
		esac >>"$1"
	done
}

# summary of events.jsonl: "TASK STATES REASON" for every task that is not
# exactly RUNNING -> INTERRUPTED (shutdown), one per line; empty when all are
bad_tasks() {
	"$PYTHON" - "$1/events.jsonl" "$N" <<'EOF'
import json, sys
path, n = sys.argv[1], int(sys.argv[2])
seen = {i: [] for i in range(1, n + 1)}
try:
    for line in open(path):
        e = json.loads(line)
        seen.setdefault(e["task"], []).append((e["to"], e.get("reason")))
except (OSError, ValueError) as x:
    print("events.jsonl unreadable:", x)
    sys.exit(0)
for task, evs in sorted(seen.items()):
    states = [s for s, _ in evs if s != "IDLE"]
    reasons = [r for s, r in evs if s == "INTERRUPTED"]
    if states != ["RUNNING", "INTERRUPTED"] or reasons != ["shutdown"]:
        print(task, "->".join(s for s, _ in evs) or "no-events", ",".join(str(r) for _, r in evs))
EOF
}

# running LOGDIR: how many tasks reached RUNNING so far
running() {
	local n
	n=$(grep -c '"to":"RUNNING"' "$1/events.jsonl" 2>/dev/null)
	echo "${n:-0}"
}

# stop_case TAG SIGNAL STATUS
stop_case() {
	local tag=$1 sig=$2 want=$3 ready="$SANDBOX/ready.$1" bad i n
	new_run "$tag"
	mkdir "$ready"
	make_tasks "$SANDBOX/tasks.$tag" "$ready"
	start_bg -j "$N" --grace 5 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.$tag"
	# every task RUNNING, and every shell past its trap
	wait_for "[ \$(running '$LOG') -ge $N ] && [ \$(ls '$ready' | wc -l) -ge $((N / 5)) ]" 60 ||
		fatal "$tag: $N tasks not running within 60 s ($(running "$LOG") RUNNING, $(ls "$ready" | wc -l) shells ready)"
	kill -"$sig" "$SUP_PID"
	wait_exit "$SUP_PID" 30
	assert_eq "$want" "$EXIT_STATUS" "$tag: exit status after SIG$sig"
	bad=$(bad_tasks "$LOG")
	n=$(grep -c . <<<"$bad")
	assert_eq "" "$bad" "$tag: $n of $N tasks not RUNNING -> INTERRUPTED (shutdown) in events.jsonl (task, states, reasons)"
	assert_eq 0 "$(grep -c '"to":"FAILED"' "$LOG/events.jsonl")" "$tag: FAILED events"
	assert_eq "$N" "$(joblog_count "$LOG")" "$tag: joblog lines"
	n=$(awk -F '\t' 'NR > 1 && $9 != "INTERRUPTED"' "$LOG/joblog" | wc -l)
	assert_eq 0 "$n" "$tag: joblog lines whose State is not INTERRUPTED"
	for i in 5 10; do
		assert_eq INTERRUPTED "$(joblog_col "$LOG" $i State)" "$tag: task $i State"
		assert_eq $(( i == 10 ? 3 : 0 )) "$(joblog_col "$LOG" $i Exitval)" "$tag: task $i Exitval (its TERM trap's exit is kept)"
	done
	assert_eq 15 "$(joblog_col "$LOG" 1 Signal)" "$tag: task 1 (sleep) Signal"
	if json_valid "$LOG/summary.json"; then
		assert_eq "$N" "$(json_get "$LOG/summary.json" counts.interrupted)" "$tag: summary.json counts.interrupted"
		assert_eq 0 "$(json_get "$LOG/summary.json" counts.failed)" "$tag: summary.json counts.failed"
		assert_eq 0 "$(json_get "$LOG/summary.json" counts.completed)" "$tag: summary.json counts.completed"
	else
		fail "$tag: summary.json is not valid JSON"
	fi
	assert_no_survivors "$RUN" 3
}

stop_case term TERM 143
stop_case int INT 130
