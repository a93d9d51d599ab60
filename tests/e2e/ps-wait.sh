#!/bin/bash
# ps-wait.sh: oneshot-ps --wait exits with the run's exit status (0 all
# completed, 1 a task failed, 143 the supervisor got SIGTERM), at once on a
# finished run; --wait SEC gives up with 124 after about SEC; a run whose
# supervisor was SIGKILLed ends --wait with 125 and a one-line message.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/ps-lib.sh"

GO="$SANDBOX/go"

# waiting PID: the oneshot-ps --wait run by PID (timeout(1)) is in its poll
# loop: it has opened the run and seen it running, and sleeps till the next
# look (at most 20 s)
waiting() {
	wait_for "proc_find_exe $1 '$PS' && proc_sleeps_in \$FOUND_PID '*nanosleep*'" 20 ||
		fail "oneshot-ps --wait ($(describe_pids $1)) did not start waiting within 20 s"
}

GATE="i=0; while [ ! -e '$GO' ] && [ \$i -lt 1200 ]; do sleep 0.05; i=\$((i+1)); done"

# --- all complete: 0; a failure: 1 -----------------------------------------
new_run ok
printf 'true\nsleep 0.3\ntrue\n' >"$SANDBOX/ok"
detach -j 2 -n "$RUN" -L "$LOG" "$SANDBOX/ok"
ps_run -n "$RUN" --wait
assert_eq 0 "$PS_RC" "--wait on a run whose tasks all complete"
assert_eq "" "$PS_OUT" "--wait prints nothing"
t0=$(now_us)
ps_run -n "$RUN" --wait
assert_eq 0 "$PS_RC" "--wait on the finished run"
assert_le "$(ms_since "$t0")" 2000 "--wait on a finished run returns at once (ms)"

new_run fail
printf 'true\nexit 5\n' >"$SANDBOX/fail"
detach -j 2 -n "$RUN" -L "$LOG" "$SANDBOX/fail"
ps_run --wait -n "$RUN"
assert_eq 1 "$PS_RC" "--wait on a run with a failed task"

# --- timeout: 124 ----------------------------------------------------------
new_run slow
echo "$GATE" >"$SANDBOX/slow"
detach -j 1 -n "$RUN" -L "$LOG" "$SANDBOX/slow"
PS_TIMEOUT_OK=1
t0=$(now_us)
ps_run -n "$RUN" --wait 0.5
ms=$(ms_since "$t0")
assert_eq 124 "$PS_RC" "--wait 0.5 on a running run"
assert_le 450 "$ms" "--wait 0.5 waited at least 0.45 s (ms)"
assert_le "$ms" 5000 "--wait 0.5 gave up within 5 s (ms)"
ps_run -n "$RUN" --wait=0.2
assert_eq 124 "$PS_RC" "--wait=0.2 on a running run"
PS_TIMEOUT_OK=0
# a waiter started before the end sees the end
timeout 30 "$PS" -n "$RUN" --wait 25 &
waiter=$!
waiting "$waiter"
touch "$GO"
wait "$waiter"
assert_eq 0 "$?" "--wait 25 started before the run finished"
rm -f "$GO"

# --- supervisor SIGTERM: its status 143 -------------------------------------
new_run term
echo "$GATE" >"$SANDBOX/term"
detach -j 1 -n "$RUN" -L "$LOG" "$SANDBOX/term"
wait_for '[ "$(ps_counts "$RUN" | cut -d" " -f2,3)" != "0 0" ]' 20 || fail "term: task never started"
timeout 30 "$PS" -n "$RUN" --wait &
waiter=$!
waiting "$waiter"
kill -TERM "$SUP_PID"
wait "$waiter"
assert_eq 143 "$?" "--wait on a run whose supervisor got SIGTERM"

# --- supervisor SIGKILL: no exit status, 125 --------------------------------
new_run kill
echo "$GATE" >"$SANDBOX/kill"
detach -j 1 -n "$RUN" -L "$LOG" "$SANDBOX/kill"
wait_for '[ "$(ps_counts "$RUN" | cut -d" " -f2,3)" != "0 0" ]' 20 || fail "kill: task never started"
timeout 30 "$PS" -n "$RUN" --wait 2>"$SANDBOX/kill.err" &
waiter=$!
waiting "$waiter"
kill -KILL "$SUP_PID"
wait "$waiter"
assert_eq 125 "$?" "--wait on a run whose supervisor was killed"
assert_eq 1 "$(wc -l <"$SANDBOX/kill.err" | tr -d ' ')" "one line on stderr"
assert_match "run $RUN ended without finishing" "$(cat "$SANDBOX/kill.err")" "message"
ps_run -n "$RUN" --wait
assert_eq 125 "$PS_RC" "--wait afterwards on the dead run"
ps_run -n "$RUN"
assert_match "^run $RUN  supervisor $SUP_PID  dead" "$(sed -n 1p "$SANDBOX/ps.out")" "header of the dead run"

# --- no such run -------------------------------------------------------------
ps_run -n "nosuch-$RUN" --wait
assert_eq 1 "$PS_RC" "--wait on no such run"
