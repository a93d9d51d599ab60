#!/bin/bash
# ps-ids.sh: task ids after oneshot-ps -n NAME, against real runs.  The rows,
# --json's "tasks", --watch and --follow show only those tasks (the header and
# the run object stay whole; --state applies too); an id the run lacks is
# exit 1 naming it with nothing printed, a malformed or repeated one exit 2.
# --wait ID... exits 0 once those tasks completed while the run goes on, 1
# when one failed (also a task a SIGTERMed run never started), 124 when SEC
# passes, 125 when the supervisor is SIGKILLed first (tasks that ended
# before still count) or killed with its workers.  With --retries a failed
# attempt that will be retried is no answer, in a resumed run too (whose
# attempts go on from the run it resumes), nor is an attempt interrupted by
# a signal under --retry-interrupted; the last attempt's end is, and so
# is any end once the run is stopping.  The supervisor is SIGSTOPped to hold
# a task in FAILED before its retry, so no check is a race; every task waits
# on a file the test creates (and never turns IDLE: --idle-after 3600, for
# slow machines).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/ps-lib.sh"

# gate FILE: a task line that waits for FILE to exist (60 s at most)
gate() {
	echo "i=0; while [ ! -e '$1' ] && [ \$i -lt 1200 ]; do sleep 0.05; i=\$((i+1)); done"
}

# assert_has TEXT GOT WHAT: GOT contains TEXT (no regular expression)
assert_has() {
	if [[ $2 != *"$1"* ]]; then
		fail "$3: expected to contain [$(show "$1")], got [$(show "$2")]"
		return 1
	fi
	return 0
}

# rows: the ID column of the last ps_run's human output
rows() {
	awk 'NR > 2 { print $1 }' "$SANDBOX/ps.out" | tr '\n' ' ' | sed 's/ $//'
}

# task_of RUN ID: "STATE ATTEMPT REASON" of task ID (REASON "-" when none)
task_of() {
	psx -n "$1" --json 2>/dev/null | "$PYTHON" -c '
import json, sys
for t in json.load(sys.stdin)["tasks"]:
    if t["id"] == int(sys.argv[1]):
        print(t["state"], t["attempt"], t["interrupt_reason"] or "-")' "$2" 2>/dev/null
}

# run_of RUN: "ALIVE STATE" of the run ("True active", "False done", ...)
run_of() {
	psx -n "$1" --json 2>/dev/null | "$PYTHON" -c '
import json, sys
r = json.load(sys.stdin)["run"]
print(r["alive"], r["state"])' 2>/dev/null
}

# =========================================================================
# A live run: 1 and 4 and 5 complete, 2 fails, 3 waits for $GO.
new_run ids
GO="$SANDBOX/go"
{
	echo 'true'
	echo 'exit 3'
	gate "$GO"
	echo 'true'
	echo 'echo five'
} >"$SANDBOX/tasks"
detach --idle-after 3600 -j 5 -n "$RUN" -L "$LOG" "$SANDBOX/tasks"
wait_for '[ "$(ps_counts "$RUN")" = "0 1 0 0 3 1" ] || [ "$(ps_counts "$RUN")" = "0 0 1 0 3 1" ]' 20 ||
	fatal "run did not reach 3 completed, 1 failed, 1 running: counts [$(ps_counts "$RUN")]"

# --- listing and --json: only the ids given, in task order ---------------
ps_run -n "$RUN" 3 1
assert_eq 0 "$PS_RC" "-n RUN 3 1: exit status"
assert_eq "1 3" "$(rows)" "-n RUN 3 1: rows"
assert_match "^run $RUN  supervisor $SUP_PID  alive  .*tasks 5: 1 (running|idle), 3 completed, 1 failed\$" \
	"$(sed -n 1p "$SANDBOX/ps.out")" "-n RUN 3 1: the header still counts every task"
ps_run -n "$RUN" --json 5 2
assert_eq 0 "$PS_RC" "--json 5 2: exit status"
assert_eq "2 5" "$(pyjson "$SANDBOX/ps.out" '" ".join(str(t["id"]) for t in d["tasks"])')" \
	"--json 5 2: tasks"
assert_eq "5 5" "$(pyjson "$SANDBOX/ps.out" '"%d %d" % (d["run"]["total"], sum(d["run"]["counts"].values()))')" \
	"--json 5 2: the run object still counts every task"
assert_eq "FAILED COMPLETED" "$(pyjson "$SANDBOX/ps.out" '" ".join(t["state"] for t in d["tasks"])')" \
	"--json 5 2: their states"

# --- --state and ids: both filters apply ---------------------------------
ps_run -n "$RUN" --state completed,failed 2 3 4
assert_eq 0 "$PS_RC" "--state completed,failed 2 3 4: exit status"
assert_eq "2 4" "$(rows)" "--state completed,failed 2 3 4: rows (not 3: its state; not 1, 5: not named)"
ps_run -n "$RUN" --state running,idle 1 2
assert_eq 0 "$PS_RC" "--state running,idle 1 2: exit status"
assert_eq "" "$(rows)" "--state running,idle 1 2: no row (3 is running but not named)"
ps_run -n "$RUN" --json --state failed 1 2 3
assert_eq "2" "$(pyjson "$SANDBOX/ps.out" '" ".join(str(t["id"]) for t in d["tasks"])')" \
	"--json --state failed 1 2 3: tasks"

# --- an id the run does not have: exit 1, named, nothing printed ----------
for args in "1 9" "--json 9" "--wait -- 9" "-f 9" "-w 0.2 9" "-f --wait -- 1 9"; do
	ps_run -n "$RUN" $args
	assert_eq 1 "$PS_RC" "-n RUN $args: exit status"
	assert_eq "" "$PS_OUT" "-n RUN $args: nothing on standard output"
	assert_match "^oneshot-ps: error: run $RUN has no task 9\$" "$PS_ERR" "-n RUN $args: one line naming the id"
done
ps_run -n "$RUN" 7 1 12
assert_eq 1 "$PS_RC" "-n RUN 7 1 12: exit status"
assert_match "^oneshot-ps: error: run $RUN has no tasks 7, 12\$" "$PS_ERR" "-n RUN 7 1 12: every missing id named"
assert_eq "" "$PS_OUT" "-n RUN 7 1 12: nothing shown for task 1"

# --- malformed ids: usage error naming the argument ----------------------
for bad in abc 0 00 1.5 +3 ' 3' 3x '' 4294967296; do
	ps_run -n "$RUN" 1 "$bad"
	assert_eq 2 "$PS_RC" "id '$bad': exit status"
	assert_has "'$bad': not a task id" "$PS_ERR" "id '$bad': message"
	assert_eq "" "$PS_OUT" "id '$bad': nothing on standard output"
done
ps_run -n "$RUN" 3 1 3
assert_eq 2 "$PS_RC" "repeated id: exit status"
assert_match "task id 3 given twice" "$PS_ERR" "repeated id: message"
ps_run -n "$RUN" --wait -- 2 02
assert_eq 2 "$PS_RC" "02 is 2 again: exit status"
ps_run 3
assert_eq 2 "$PS_RC" "an id without -n: exit status"
assert_match "unexpected argument '3'" "$PS_ERR" "an id without -n: message"
ps_run -n "$RUN" 3 --json
assert_eq 2 "$PS_RC" "an option after the ids: exit status"
assert_match "options go before the task ids: '--json'" "$PS_ERR" "an option after the ids: message"
ps_run --rm "$RUN" 3
assert_eq 2 "$PS_RC" "--rm with an id: exit status"
assert_eq True "$(run_of "$RUN" | cut -d' ' -f1)" "--rm with an id did not remove the run"

# --- --wait ID: 0 while the run goes on, 1 for a failed task --------------
t0=$(now_us)
ps_run -n "$RUN" --wait -- 1
assert_eq 0 "$PS_RC" "--wait -- 1 (completed) while task 3 runs"
assert_eq "" "$PS_OUT$PS_ERR" "--wait -- 1 prints nothing"
assert_le "$(ms_since "$t0")" 5000 "--wait -- 1 returned at once (ms)"
ps_run -n "$RUN" --wait=20 5 1 4
assert_eq 0 "$PS_RC" "--wait=20 5 1 4 (all completed)"
# the run is still alive, task 3 still running: the wait was for 1, 4, 5 only
proc_alive "$SUP_PID" || fail "the supervisor ended: --wait ID proved nothing"
assert_eq "True active" "$(run_of "$RUN")" "the run is alive and active after --wait ID"
assert_match "^(RUNNING|IDLE) 1 -\$" "$(task_of "$RUN" 3)" "task 3 still runs after --wait ID"
ps_run -n "$RUN" --wait -- 2
assert_eq 1 "$PS_RC" "--wait -- 2 (failed)"
assert_eq "" "$PS_OUT$PS_ERR" "--wait -- 2 prints nothing"
ps_run -n "$RUN" --wait -- 1 2 4
assert_eq 1 "$PS_RC" "--wait -- 1 2 4 (one failed)"

# --- --wait=SEC ID: 124 when the task does not end in time ----------------
PS_TIMEOUT_OK=1
t0=$(now_us)
ps_run -n "$RUN" --wait=0.5 3
ms=$(ms_since "$t0")
assert_eq 124 "$PS_RC" "--wait=0.5 3 (task 3 waits for a file)"
assert_le 450 "$ms" "--wait=0.5 3 waited at least 0.45 s (ms)"
assert_le "$ms" 5000 "--wait=0.5 3 gave up within 5 s (ms)"
assert_eq "" "$PS_OUT$PS_ERR" "--wait=0.5 3 prints nothing"
ps_run -n "$RUN" --wait 0.5 1 3
assert_eq 124 "$PS_RC" "--wait 0.5 1 3 (SEC as the next argument, then ids; 1 done, 3 not)"
PS_TIMEOUT_OK=0

# --- --follow ID on the live run: only that task's changes ---------------
timeout 60 "$PS" -n "$RUN" -f --json 3 >"$SANDBOX/f3.json" 2>"$SANDBOX/f3.err" &
f3=$!
timeout 60 "$PS" -n "$RUN" --wait -- 3 >"$SANDBOX/w3.out" 2>&1 &
w3=$!
wait_for 'grep -q "\"task\":3" "$SANDBOX/f3.json"' 20 ||
	fail "-f 3 printed nothing of task 3 within 20 s: [$(cat "$SANDBOX/f3.json")]"
touch "$GO"
wait "$w3"
assert_eq 0 "$?" "--wait -- 3 started before task 3 ended ($(cat "$SANDBOX/w3.out"))"
wait "$f3"
assert_eq 0 "$?" "-f 3 ends with the run"
wait_gone "$SUP_PID" 20
assert_eq "3 CREATED RUNNING COMPLETED" "$("$PYTHON" - "$SANDBOX/f3.json" <<'PY'
import json, sys
ids, chain = set(), []
for line in open(sys.argv[1], encoding="utf-8"):
    e = json.loads(line)
    ids.add(e["task"])
    if not chain:
        chain.append(e["from"])
    chain.append(e["to"])
print(" ".join([",".join(str(i) for i in sorted(ids))] + chain))
PY
)" "-f --json 3: only task 3's changes, its whole chain"
assert_eq "" "$(cat "$SANDBOX/f3.err")" "-f --json 3: stderr"

# --- the finished run: -f, -w, --wait with ids ---------------------------
ps_run -n "$RUN" -f 2
assert_eq 0 "$PS_RC" "-f 2 on the finished run"
assert_eq "$(grep -c '"task":2,' "$LOG/events.jsonl")" "$(wc -l <"$SANDBOX/ps.out" | tr -d ' ')" \
	"-f 2: as many lines as task 2 has events"
assert_eq "" "$(grep -v ' task 2: ' "$SANDBOX/ps.out")" "-f 2: no line of another task"
assert_match ' task 2: RUNNING -> FAILED \(fail\)$' "$(tail -n 1 "$SANDBOX/ps.out")" "-f 2: the failure"
ps_run -n "$RUN" -w 0.2 4
assert_eq 0 "$PS_RC" "-w 0.2 4 on the finished run"
assert_eq "4" "$(rows)" "-w 0.2 4: only task 4's row"
ps_run -n "$RUN" --wait -- 3 5
assert_eq 0 "$PS_RC" "--wait -- 3 5 on the finished run"
ps_run -n "$RUN" --wait -- 2
assert_eq 1 "$PS_RC" "--wait -- 2 on the finished run"

# =========================================================================
# A run stopped by SIGTERM: a task it never started did not complete.
new_run term
G="$SANDBOX/term.go"
{
	gate "$G"
	echo 'true'
} >"$SANDBOX/term"
detach --idle-after 3600 -j 1 -n "$RUN" -L "$LOG" "$SANDBOX/term"
wait_for '[ "$(task_of "$RUN" 1 | cut -d" " -f1)" = RUNNING ]' 20 || fatal "term: task 1 never started"
kill -TERM "$SUP_PID"
wait_gone "$SUP_PID" 20
ps_run -n "$RUN" --wait -- 2
assert_eq 1 "$PS_RC" "--wait -- 2: never started by a run stopped with SIGTERM"
ps_run -n "$RUN" --wait -- 1
assert_eq 1 "$PS_RC" "--wait -- 1: interrupted by the stop"

# =========================================================================
# A stopping run retries nothing: a FAILED attempt is final at once, while
# another task still holds the run up (it ignores SIGTERM, --grace 30).
new_run stopping
G1="$SANDBOX/stopping.go1" G2="$SANDBOX/stopping.go2"
{
	echo "$(gate "$G1"); exit 3"
	echo "trap '' TERM; $(gate "$G2")"
} >"$SANDBOX/stopping"
detach --idle-after 3600 -j 2 --retries 1 --grace 30 -n "$RUN" -L "$LOG" "$SANDBOX/stopping"
wait_for '[ "$(ps_counts "$RUN" | cut -d" " -f2)" = 2 ]' 20 ||
	fatal "stopping: the two tasks did not start: [$(ps_counts "$RUN")]"
# Stopped, the supervisor takes the SIGTERM before it can reap and retry.
kill -STOP "$SUP_PID"
touch "$G1"
wait_for '[ "$(task_of "$RUN" 1)" = "FAILED 1 -" ]' 20 ||
	fail "stopping: attempt 1 not FAILED: [$(task_of "$RUN" 1)]"
kill -TERM "$SUP_PID"
kill -CONT "$SUP_PID"
wait_for '[ "$(run_of "$RUN")" = "True stopping" ]' 20 ||
	fail "stopping: the run is not stopping: [$(run_of "$RUN")]"
t0=$(now_us)
ps_run -n "$RUN" --wait=10 1
assert_eq 1 "$PS_RC" "--wait=10 1: FAILED in a stopping run"
assert_le "$(ms_since "$t0")" 5000 "--wait=10 1 in a stopping run returned at once (ms)"
assert_eq "True stopping" "$(run_of "$RUN")" "stopping: the run was still stopping"
kill -TERM "$SUP_PID" # the second one kills task 2 now
wait_gone "$SUP_PID" 20

# =========================================================================
# SIGKILL to the supervisor while waiting: 125 for a task that had not
# ended; the ones that ended before still count.
new_run kill
G="$SANDBOX/kill.go"
{
	echo 'true'
	echo 'exit 4'
	gate "$G"
} >"$SANDBOX/kill"
detach --idle-after 3600 -j 3 -n "$RUN" -L "$LOG" "$SANDBOX/kill"
wait_for '[ "$(ps_counts "$RUN")" = "0 1 0 0 1 1" ]' 20 ||
	fatal "kill: run did not reach 1 completed, 1 failed, 1 running: [$(ps_counts "$RUN")]"
timeout 30 "$PS" -n "$RUN" --wait -- 3 >"$SANDBOX/k.out" 2>"$SANDBOX/k.err" &
kw=$!
# -f --wait prints task 3's start only once it is in its wait loop
timeout 30 "$PS" -n "$RUN" -f --wait -- 1 3 >"$SANDBOX/kf.out" 2>"$SANDBOX/kf.err" &
kf=$!
wait_for 'grep -q "task 3: CREATED -> RUNNING" "$SANDBOX/kf.out"' 20 ||
	fail "kill: -f --wait -- 1 3 did not print task 3's start: [$(cat "$SANDBOX/kf.out")]"
proc_alive "$kw" || fail "kill: --wait -- 3 ended before the supervisor was killed"
kill -KILL "$SUP_PID"
wait "$kw"
assert_eq 125 "$?" "--wait -- 3 while the supervisor is SIGKILLed"
assert_eq "" "$(cat "$SANDBOX/k.out")" "--wait -- 3: nothing on standard output"
assert_eq 1 "$(wc -l <"$SANDBOX/k.err" | tr -d ' ')" "--wait -- 3: one line on stderr"
assert_match "run $RUN ended without finishing \\(its supervisor was killed\\) before the end of task 3\$" \
	"$(cat "$SANDBOX/k.err")" "--wait -- 3: the message names the task"
wait "$kf"
assert_eq 125 "$?" "-f --wait -- 1 3 while the supervisor is SIGKILLed"
assert_eq "" "$(grep -v ' task [13]: ' "$SANDBOX/kf.out")" "-f --wait -- 1 3: only tasks 1 and 3"
# the workers die with it: task 3 is interrupted, the run's lock goes
wait_for '[ "$(run_of "$RUN")" = "False active" ]' 20 ||
	fail "kill: the run is not dead: [$(run_of "$RUN")]"
assert_eq "INTERRUPTED 1 supervisor-lost" "$(task_of "$RUN" 3)" "kill: task 3 was interrupted by its worker"
ps_run -n "$RUN" --wait -- 3
assert_eq 125 "$PS_RC" "--wait -- 3 on the dead run"
assert_match "before the end of task 3\$" "$PS_ERR" "--wait -- 3 on the dead run: message"
ps_run -n "$RUN" --wait -- 1
assert_eq 0 "$PS_RC" "--wait -- 1 on the dead run: completed before the kill"
ps_run -n "$RUN" --wait -- 2
assert_eq 1 "$PS_RC" "--wait -- 2 on the dead run: failed before the kill (no retries)"
ps_run -n "$RUN" --wait -- 1 3
assert_eq 125 "$PS_RC" "--wait -- 1 3 on the dead run"

# =========================================================================
# The supervisor and its workers SIGKILLed at once: a task left RUNNING, and
# a FAILED attempt whose retry was to come, have no known end (125).
new_run dead
G1="$SANDBOX/dead.go1" G2="$SANDBOX/dead.go2"
{
	echo "$(gate "$G1"); exit 3"
	gate "$G2"
} >"$SANDBOX/dead"
detach --idle-after 3600 -j 2 --retries 1 -n "$RUN" -L "$LOG" "$SANDBOX/dead"
wait_for '[ "$(ps_counts "$RUN" | cut -d" " -f2)" = 2 ]' 20 ||
	fatal "dead: the two tasks did not start: [$(ps_counts "$RUN")]"
kill -STOP "$SUP_PID"
touch "$G1"
wait_for '[ "$(task_of "$RUN" 1)" = "FAILED 1 -" ]' 20 ||
	fail "dead: attempt 1 not FAILED: [$(task_of "$RUN" 1)]"
workers=$(children_of "$SUP_PID")
[ -n "$workers" ] || fail "dead: no live worker to kill"
# the workers first: a worker outliving its supervisor by a moment would
# take its parent-death signal and record the interrupt
kill -KILL $workers
kill -KILL "$SUP_PID"
touch "$G2"
wait_for '[ "$(run_of "$RUN")" = "False active" ]' 20 ||
	fail "dead: the run is not dead: [$(run_of "$RUN")]"
assert_eq "RUNNING 1 -" "$(task_of "$RUN" 2)" "dead: task 2 left RUNNING by its killed worker"
PS_TIMEOUT_OK=1
ps_run -n "$RUN" --wait=2 2
assert_eq 125 "$PS_RC" "--wait=2 2: left RUNNING in a dead run"
assert_match "before the end of task 2\$" "$PS_ERR" "--wait=2 2: message"
ps_run -n "$RUN" --wait=2 1
assert_eq 125 "$PS_RC" "--wait=2 1: FAILED in a dead run that would have retried it"
PS_TIMEOUT_OK=0

# =========================================================================
# --retries 1: task 1 fails its first attempt and completes its second; task
# 3 fails both; task 2 keeps the run alive until $G3.
new_run retry
G1="$SANDBOX/retry.go1" G3="$SANDBOX/retry.go3" M="$SANDBOX/retry.marker"
{
	echo "if [ -e '$M' ]; then exit 0; fi; touch '$M'; $(gate "$G1"); exit 3"
	gate "$G3"
	echo "$(gate "$G1"); exit 5"
} >"$SANDBOX/retry"
detach --idle-after 3600 -j 3 --retries 1 -n "$RUN" -L "$LOG" "$SANDBOX/retry"
wait_for '[ "$(ps_counts "$RUN" | cut -d" " -f2)" = 3 ]' 20 ||
	fatal "retry: the three tasks did not start: [$(ps_counts "$RUN")]"
timeout 30 "$PS" -n "$RUN" --wait -- 1 >"$SANDBOX/r1.out" 2>&1 &
r1=$!
timeout 30 "$PS" -n "$RUN" -f --wait -- 3 >"$SANDBOX/r3.out" 2>"$SANDBOX/r3.err" &
r3=$!
wait_for 'grep -q "task 3: CREATED -> RUNNING" "$SANDBOX/r3.out"' 20 ||
	fail "retry: -f --wait -- 3 did not print task 3's start: [$(cat "$SANDBOX/r3.out")]"
# Stopped, the supervisor can neither reap nor retry: the first attempts
# stay FAILED for as long as the test looks.
kill -STOP "$SUP_PID"
touch "$G1"
wait_for '[ "$(task_of "$RUN" 1)" = "FAILED 1 -" ] && [ "$(task_of "$RUN" 3)" = "FAILED 1 -" ]' 20 ||
	fail "retry: first attempts not FAILED: [$(task_of "$RUN" 1)] [$(task_of "$RUN" 3)]"
PS_TIMEOUT_OK=1
ps_run -n "$RUN" --wait=0.5 1
assert_eq 124 "$PS_RC" "--wait=0.5 1: a FAILED attempt with a retry to come is no answer"
ps_run -n "$RUN" --wait=0.5 3
assert_eq 124 "$PS_RC" "--wait=0.5 3: the same for task 3"
PS_TIMEOUT_OK=0
proc_alive "$r1" || fail "retry: --wait -- 1 ended after the first failure ($(cat "$SANDBOX/r1.out"))"
proc_alive "$r3" || fail "retry: -f --wait -- 3 ended after the first failure"
kill -CONT "$SUP_PID"
wait "$r1"
assert_eq 0 "$?" "--wait -- 1: completed on its second attempt ($(cat "$SANDBOX/r1.out"))"
assert_eq "COMPLETED 2 -" "$(task_of "$RUN" 1)" "retry: task 1 completed as attempt 2"
wait "$r3"
assert_eq 1 "$?" "-f --wait -- 3: failed on its last attempt"
assert_eq "FAILED 2 -" "$(task_of "$RUN" 3)" "retry: task 3 failed as attempt 2"
assert_eq "start fail retry start fail" "$(sed 's/.*(\(.*\))$/\1/' "$SANDBOX/r3.out" | tr '\n' ' ' | sed 's/ $//')" \
	"-f --wait -- 3: both attempts of task 3, nothing else"
assert_eq "" "$(cat "$SANDBOX/r3.err")" "-f --wait -- 3: stderr"
assert_eq "True active" "$(run_of "$RUN")" "retry: the run still goes on (task 2)"
# A waiter that first looks at task 3 after its last failure cannot tell
# whether a retry is left: it waits for the run to stop retrying.
PS_TIMEOUT_OK=1
ps_run -n "$RUN" --wait=0.3 3
assert_eq 124 "$PS_RC" "--wait=0.3 3 first seen FAILED in a live run with --retries: not yet known"
PS_TIMEOUT_OK=0
touch "$G3"
wait_gone "$SUP_PID" 20
ps_run -n "$RUN" --wait -- 3
assert_eq 1 "$PS_RC" "--wait -- 3 once the run is done"
ps_run -n "$RUN" --wait -- 1 2
assert_eq 0 "$PS_RC" "--wait -- 1 2 once the run is done"

# =========================================================================
# --retry-interrupted: an attempt INTERRUPTED by a signal is retried too (the
# table does not say whether the run has the option, so it is never final
# while retries may be left).
new_run intr
G="$SANDBOX/intr.go" M="$SANDBOX/intr.marker"
{
	echo "if [ -e '$M' ]; then exit 0; fi; touch '$M'; $(gate "$G")"
	gate "$G"
} >"$SANDBOX/intr"
detach --idle-after 3600 -j 2 --retries 1 --retry-interrupted -n "$RUN" -L "$LOG" "$SANDBOX/intr"
wait_for '[ "$(ps_counts "$RUN" | cut -d" " -f2)" = 2 ]' 20 ||
	fatal "intr: the two tasks did not start: [$(ps_counts "$RUN")]"
worker=$(psx -n "$RUN" --json 1 | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["tasks"][0]["worker_pid"])')
kill -STOP "$SUP_PID"
kill -TERM "$worker" # the worker interrupts its task: reason "signal"
wait_for '[ "$(task_of "$RUN" 1)" = "INTERRUPTED 1 signal" ]' 20 ||
	fail "intr: attempt 1 not interrupted by the signal: [$(task_of "$RUN" 1)]"
PS_TIMEOUT_OK=1
ps_run -n "$RUN" --wait=0.5 1
assert_eq 124 "$PS_RC" "--wait=0.5 1: INTERRUPTED (signal) with a retry to come is no answer"
PS_TIMEOUT_OK=0
kill -CONT "$SUP_PID"
ps_run -n "$RUN" --wait -- 1
assert_eq 0 "$PS_RC" "intr: --wait -- 1 after the retry completed"
assert_eq "COMPLETED 2 -" "$(task_of "$RUN" 1)" "intr: task 1 completed as attempt 2"
touch "$G"
wait_gone "$SUP_PID" 20

# =========================================================================
# A resumed run goes on counting attempts: with --retries 1 its task 1 runs
# as attempts 2 and 3.  Attempt 2 failed is not final although attempt 2
# is already retries + 1: the table does not say where the run's count began.
new_run resume
G="$SANDBOX/resume.go" M1="$SANDBOX/resume.m1" M2="$SANDBOX/resume.m2"
echo "if [ -e '$M2' ]; then exit 0; fi; if [ -e '$M1' ]; then touch '$M2'; $(gate "$G"); exit 3; fi; touch '$M1'; exit 3" \
	>"$SANDBOX/resume"
supervise -n "$RUN" -L "$LOG" "$SANDBOX/resume" 2>/dev/null
assert_eq 1 "$?" "resume: the first run fails its task"
detach --idle-after 3600 --resume-failed --retries 1 -n "$RUN" -L "$LOG" "$SANDBOX/resume"
wait_for '[ "$(task_of "$RUN" 1)" = "RUNNING 2 -" ]' 20 ||
	fatal "resume: task 1 did not start as attempt 2: [$(task_of "$RUN" 1)]"
kill -STOP "$SUP_PID"
touch "$G"
wait_for '[ "$(task_of "$RUN" 1)" = "FAILED 2 -" ]' 20 ||
	fail "resume: attempt 2 not FAILED: [$(task_of "$RUN" 1)]"
PS_TIMEOUT_OK=1
ps_run -n "$RUN" --wait=0.5 1
assert_eq 124 "$PS_RC" "resume: --wait=0.5 1 on attempt 2 FAILED with its retry to come"
PS_TIMEOUT_OK=0
kill -CONT "$SUP_PID"
ps_run -n "$RUN" --wait -- 1
assert_eq 0 "$PS_RC" "resume: --wait -- 1 after attempt 3 completed"
assert_eq "COMPLETED 3 -" "$(task_of "$RUN" 1)" "resume: task 1 completed as attempt 3"
