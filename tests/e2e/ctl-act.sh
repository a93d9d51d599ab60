#!/bin/bash
# ctl-act.sh: oneshot-ctl interrupt and send, against real runs.
#  - send answers python's input('Continue? [y/N] ') and the task COMPLETES;
#    --no-enter, --key NAME and --file reach a raw-mode reader byte for byte;
#  - send into a task that never reads its terminal gives up after
#    --timeout with the count of bytes that went in, exit 1, and the task
#    and its worker go on (it is interrupted afterwards, promptly);
#  - interrupt stops one task of three with reason operator, in oneshot-ps
#    --json, the job log, events.jsonl, summary.json, the metrics and the
#    end-of-run report; the other two complete;
#  - --retries does not retry an operator interrupt, --retry-interrupted does;
#  - a finished task, an unknown id, a bad id, a missing -n: a one-line error
#    naming it, exit 1 or 2, nothing changed.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/ps-lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/ctl-lib.sh"

GO="$SANDBOX/go"
GATE="i=0; while [ ! -e '$GO' ] && [ \$i -lt 1200 ]; do sleep 0.05; i=\$((i+1)); done"

# --- send answers a question -------------------------------------------------
new_run send
cat >"$SANDBOX/send.tasks" <<'TASKS'
python3 -c "print('got', input('Continue? [y/N] '))"
python3 -c "import sys, tty; tty.setraw(0); print('ready', flush=True); print(repr(sys.stdin.read(7)))"
python3 -c "print('line', input('> '))"
TASKS
detach -j 3 -n "$RUN" -L "$LOG" "$SANDBOX/send.tasks"
wait_for "grep -q 'Continue?' '$LOG/1.log' 2>/dev/null" 10 || fail "task 1 never asked"
ctl -n "$RUN" send 1 y
assert_eq 0 "$CTL_RC" "send y: exit status ($CTL_ERR)"
wait_state "$RUN" 1 COMPLETED 10
assert_match "got y" "$(cat "$LOG/1.log")" "the answer reached input()"

wait_for "grep -q ready '$LOG/2.log' 2>/dev/null" 10 || fail "task 2 never got ready"
ctl -n "$RUN" send --no-enter 2 ab
assert_eq 0 "$CTL_RC" "send --no-enter ($CTL_ERR)"
ctl -n "$RUN" send 2 --key Tab --key C-a --key Up
assert_eq 0 "$CTL_RC" "send --key ($CTL_ERR)"
wait_state "$RUN" 2 COMPLETED 10
assert_match "'ab\\\\t\\\\x01\\\\x1b\\[A'" "$(cat "$LOG/2.log")" \
	"--no-enter sent no Enter, the keys their bytes (Tab, C-a, Up)"

printf 'from a file\r' >"$SANDBOX/answer"
wait_for "grep -q '> ' '$LOG/3.log' 2>/dev/null" 10 || fail "task 3 never asked"
ctl -n "$RUN" send --file "$SANDBOX/answer" 3
assert_eq 0 "$CTL_RC" "send --file ($CTL_ERR)"
wait_state "$RUN" 3 COMPLETED 10
assert_match "line from a file" "$(cat "$LOG/3.log")" "--file's bytes as they are"

ctl -n "$RUN" send 1 again
assert_eq 1 "$CTL_RC" "send to a COMPLETED task"
assert_match "task 1 .* is COMPLETED" "$CTL_ERR" "and says so"

# --- a task that never reads: the client waits, the worker does not -----------
new_run stuck
GATE2=${GATE//$GO/$GO.2}
printf '%s\n' "echo started; $GATE; echo released; $GATE2" >"$SANDBOX/stuck.tasks"
detach -n "$RUN" -L "$LOG" "$SANDBOX/stuck.tasks"
wait_for "grep -q started '$LOG/1.log' 2>/dev/null" 10 || fail "task never started"
# lines: in canonical mode a terminal drops what overflows a line, but
# whole lines it keeps until the reader takes them, and then refuses more
yes 'a line the task will never read' | head -c 1048576 >"$SANDBOX/big"
t0=$(now_us)
ctl -n "$RUN" send --timeout 1 --file "$SANDBOX/big" 1
took=$(ms_since "$t0")
assert_eq 1 "$CTL_RC" "send into a task that does not read: exit status"
assert_match "took [0-9]+ of 1048576 bytes" "$CTL_ERR" "says how many bytes went in"
assert_le "$took" 5000 "and gave up after about --timeout 1 (ms)"
assert_eq RUNNING "$(task_field "$RUN" 1 state)" "the task goes on"
touch "$GO"
wait_for "grep -q released '$LOG/1.log' 2>/dev/null" 10 ||
	fail "the task's output after the stuck send never reached the transcript"
ctl -n "$RUN" interrupt 1
assert_eq 0 "$CTL_RC" "and it can be interrupted ($CTL_ERR)"
wait_state "$RUN" 1 INTERRUPTED 10
rm -f "$GO"

# --- interrupt one of three --------------------------------------------------
new_run int
printf '%s\n' "$GATE; echo one" "$GATE; echo two" "$GATE; echo three" >"$SANDBOX/int.tasks"
start_bg -j 3 -n "$RUN" -L "$LOG" --metrics "$SANDBOX/int.prom" "$SANDBOX/int.tasks" \
	>"$SANDBOX/int.out" 2>"$SANDBOX/int.err"
wait_table "$RUN" "$SUP_PID" 10
for t in 1 2 3; do # their workers start in any order
	wait_state "$RUN" $t RUNNING $((10 * SLOW))
done
ctl -n "$RUN" interrupt 2
assert_eq 0 "$CTL_RC" "interrupt 2: exit status ($CTL_ERR)"
assert_eq INTERRUPTED "$(task_field "$RUN" 2 state)" "task 2 is INTERRUPTED when interrupt returns"
assert_eq operator "$(task_field "$RUN" 2 interrupt_reason)" "with reason operator"
touch "$GO"
wait_exit "$SUP_PID" 30
assert_eq 1 "$EXIT_STATUS" "the run ends 1 (a task was interrupted)"
assert_eq "COMPLETED INTERRUPTED COMPLETED" \
	"$(joblog_col "$LOG" 1 State) $(joblog_col "$LOG" 2 State) $(joblog_col "$LOG" 3 State)" \
	"the job log: the others completed"
assert_match "interrupt RUNNING INTERRUPTED operator" "$(events "$LOG" 2)" "events.jsonl"
assert_eq 1 "$(json_get "$LOG/summary.json" interrupted_by.operator)" "summary.json counts it"
assert_match 'oneshot_task_interrupts_total\{run="[^"]*",reason="operator"\} 1' \
	"$(cat "$SANDBOX/int.prom")" "the metrics count it"
assert_match "task 2 INTERRUPTED \\(operator\\)" "$(cat "$SANDBOX/int.err")" \
	"the end-of-run report names it"
rm -f "$GO"

# --- a finished run, unknown and bad ids --------------------------------------
ctl -n "$RUN" interrupt 1
assert_eq 1 "$CTL_RC" "interrupt in a finished run"
assert_match "task 1 of run $RUN is COMPLETED" "$CTL_ERR" "names the task and its state"
ctl -n "$RUN" interrupt 9
assert_eq 1 "$CTL_RC" "an unknown id"
assert_match "run $RUN has no task 9" "$CTL_ERR" "names the id"
ctl -n "$RUN" interrupt x
assert_eq 2 "$CTL_RC" "a bad id"
assert_match "'x' is not a task id" "$CTL_ERR" "names it"
ctl interrupt 1
assert_eq 2 "$CTL_RC" "no -n"
ctl -n "nosuch-$RUN" interrupt 1
assert_eq 1 "$CTL_RC" "no such run"
assert_match "no run named nosuch-$RUN" "$CTL_ERR" "names the run"
ctl -n "$RUN" frobnicate 1
assert_eq 2 "$CTL_RC" "an unknown command"

# all or nothing: one live task and one unknown id changes nothing
new_run allornone
printf '%s\n' "$GATE" >"$SANDBOX/aon.tasks"
detach -n "$RUN" -L "$LOG" "$SANDBOX/aon.tasks"
wait_state "$RUN" 1 RUNNING 10
ctl -n "$RUN" interrupt 1 7
assert_eq 1 "$CTL_RC" "interrupt of a live task and an unknown one"
assert_eq RUNNING "$(task_field "$RUN" 1 state)" "left the live task alone"
touch "$GO"
wait_state "$RUN" 1 COMPLETED 10
rm -f "$GO"

# --- retries -------------------------------------------------------------------
for mode in plain retry; do
	new_run "retry-$mode"
	printf '%s\n' "[ -e '$SANDBOX/again.$mode' ] && exit 0; touch '$SANDBOX/again.$mode'; $GATE" \
		>"$SANDBOX/retry.tasks"
	extra=()
	[ "$mode" = retry ] && extra=(--retry-interrupted)
	start_bg --retries 1 "${extra[@]}" -n "$RUN" -L "$LOG" "$SANDBOX/retry.tasks" \
		>/dev/null 2>&1
	wait_table "$RUN" "$SUP_PID" 10
	wait_state "$RUN" 1 RUNNING 10
	ctl -n "$RUN" interrupt 1
	assert_eq 0 "$CTL_RC" "interrupt with --retries ($mode)"
	wait_exit "$SUP_PID" 30
	if [ "$mode" = plain ]; then
		assert_eq 1 "$EXIT_STATUS" "--retries alone: the operator's interrupt stands"
		assert_eq 1 "$(joblog_count "$LOG")" "one attempt"
	else
		assert_eq 0 "$EXIT_STATUS" "--retry-interrupted: retried, and the retry completed"
		assert_eq 2 "$(joblog_count "$LOG")" "two attempts"
	fi
done
