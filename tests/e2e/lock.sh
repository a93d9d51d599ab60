#!/bin/bash
# lock.sh: the run-name lock and --detach.
#  - a second supervisor with the name of a live run exits 3 at once (one
#    message on stderr), runs nothing, and leaves the live run alone (same
#    table, first run still completes with 0, its joblog intact), even when
#    given the same log dir; after the first run ends the name starts cleanly.
#  - --detach returns in < 0.5 s printing "NAME PID", the table exists when it
#    returns, the run completes in the background (summary.json, exit_status 0,
#    supervisor_pid = PID), supervisor.log exists, the detached supervisor does
#    not hold the caller's stdout/stderr.
#  - --detach with 100,000 tasks still returns in < 0.5 s; SIGTERM to the
#    printed pid stops the run (summary.json exit_status 143), nothing left.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"

# ---------------------------------------------------------------- name lock
new_run lock
GO="$SANDBOX/go"
cat >"$SANDBOX/tasks.first" <<EOF
echo \$\$ >'$SANDBOX/first.1'; i=0; while [ ! -e '$GO' ] && [ \$i -lt 600 ]; do sleep 0.05; i=\$((i+1)); done; echo first-1
echo \$\$ >'$SANDBOX/first.2'; i=0; while [ ! -e '$GO' ] && [ \$i -lt 600 ]; do sleep 0.05; i=\$((i+1)); done; echo first-2
EOF
echo "touch '$SANDBOX/second-ran'" >"$SANDBOX/tasks.second"

start_bg -j 2 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.first"
FIRST=$SUP_PID
wait_for "[ -s '$SANDBOX/first.1' ] && [ -s '$SANDBOX/first.2' ]" 20 || fail "lock: first run's tasks did not start within 20 s"
ino=$(stat -c %i "$SHM" 2>/dev/null)
assert_match '^[0-9]+$' "$ino" "lock: the first run's table $SHM exists"
cp "$LOG/events.jsonl" "$SANDBOX/events.before" 2>/dev/null

# same name, same log dir
t0=$(now_us)
supervise -j 2 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.second" >"$SANDBOX/second.out" 2>"$SANDBOX/second.err"
rc=$?
took=$(ms_since "$t0")
assert_eq 3 "$rc" "lock: second supervisor with a live run's name (same log dir): exit status"
assert_le "$took" 3000 "lock: the refusal took ${took} ms"
assert_eq 1 "$(wc -l <"$SANDBOX/second.err")" "lock: lines on stderr of the refused supervisor [$(head -c 300 "$SANDBOX/second.err")]"
# same name, another log dir
supervise -j 2 -n "$RUN" -L "$SANDBOX/log-other" "$SANDBOX/tasks.second" >/dev/null 2>"$SANDBOX/second2.err"
assert_eq 3 "$?" "lock: second supervisor with a live run's name (other log dir): exit status"
assert_no_file "$SANDBOX/second-ran" "lock: the refused supervisor must start nothing; its task's marker"
assert_eq "$ino" "$(stat -c %i "$SHM" 2>/dev/null)" "lock: inode of the live run's table after the refusal"
assert_eq "" "$(states "$LOG" 3)" "lock: no events for a third task in the live run's events.jsonl"
proc_alive "$FIRST" || fail "lock: the first supervisor died after the refused second one"

touch "$GO"
wait_exit "$FIRST" 30
assert_eq 0 "$EXIT_STATUS" "lock: the first run's exit status"
assert_eq 2 "$(joblog_count "$LOG")" "lock: first run's joblog lines"
assert_eq "$JOBLOG_HEADER" "$(head -n 1 "$LOG/joblog" 2>/dev/null)" "lock: first run's joblog header"
for i in 1 2; do
	assert_eq COMPLETED "$(joblog_col "$LOG" $i State)" "lock: first run's task $i State"
	assert_eq "first-$i" "$(tr -d '\r\n' <"$LOG/$i.log" 2>/dev/null)" "lock: first run's transcript $i.log"
done
if [ -f "$SANDBOX/events.before" ]; then
	head -c "$(wc -c <"$SANDBOX/events.before")" "$LOG/events.jsonl" | cmp -s - "$SANDBOX/events.before" ||
		fail "lock: the first run's events.jsonl was rewritten, not appended to"
fi
assert_eq 2 "$(json_get "$LOG/summary.json" counts.completed)" "lock: first run's summary counts.completed"

# the name is free again
echo "echo reuse" | supervise -n "$RUN" -L "$LOG.reuse" - >"$SANDBOX/reuse.out" 2>&1
assert_eq 0 "$?" "lock: same name after the first run ended: exit status ($(head -c 300 "$SANDBOX/reuse.out"))"
assert_eq reuse "$(tr -d '\r\n' <"$LOG.reuse/1.log" 2>/dev/null)" "lock: same name after the end: the task ran"

# ---------------------------------------------------------------- --detach
new_run detach
cat >"$SANDBOX/tasks.detach" <<EOF
sleep 0.5; echo d1
sleep 0.5; echo d2
echo d3
EOF
t0=$(now_us)
supervise --detach -j 2 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.detach" >"$SANDBOX/detach.out" 2>"$SANDBOX/detach.err"
rc=$?
took=$(ms_since "$t0")
table_at_return=no
[ -e "$SHM" ] && table_at_return=yes
assert_eq 0 "$rc" "--detach: exit status of the detaching command [$(head -c 300 "$SANDBOX/detach.err")]"
assert_le "$took" 499 "--detach: returned after ${took} ms"
assert_eq yes "$table_at_return" "--detach: the table exists when --detach returns"
out=$(cat "$SANDBOX/detach.out")
assert_match "^$RUN [0-9]+\$" "$out" "--detach: stdout"
dpid=${out##* }
if [[ $dpid =~ ^[0-9]+$ ]]; then
	E2E_BG_PIDS+=("$dpid")
	for fd in 1 2; do
		tgt=$(readlink "/proc/$dpid/fd/$fd" 2>/dev/null)
		case $tgt in
		"$SANDBOX/detach.out" | "$SANDBOX/detach.err")
			fail "--detach: the detached supervisor's fd $fd is still the caller's $tgt" ;;
		esac
	done
	wait_for "[ -f '$LOG/summary.json' ]" 30 || fail "--detach: no summary.json within 30 s"
	wait_for "! proc_alive $dpid" 10 || fail "--detach: supervisor $dpid still alive 10 s after summary.json"
	assert_eq 0 "$(json_get "$LOG/summary.json" exit_status)" "--detach: summary.json exit_status"
	assert_eq "$dpid" "$(json_get "$LOG/summary.json" supervisor_pid)" "--detach: summary.json supervisor_pid = the printed pid"
	assert_eq 3 "$(json_get "$LOG/summary.json" counts.completed)" "--detach: summary.json counts.completed"
fi
assert_file "$LOG/supervisor.log" "--detach: supervisor.log"
assert_eq 3 "$(joblog_count "$LOG")" "--detach: joblog lines"
assert_eq d2 "$(tr -d '\r\n' <"$LOG/2.log" 2>/dev/null)" "--detach: transcript 2.log"

# ---------------------------------------------------------------- --detach, 100,000 tasks
new_run big
yes true | head -n 100000 >"$SANDBOX/tasks.big"
t0=$(now_us)
supervise -d -n "$RUN" -L "$LOG" "$SANDBOX/tasks.big" >"$SANDBOX/big.out" 2>"$SANDBOX/big.err"
rc=$?
took=$(ms_since "$t0")
assert_eq 0 "$rc" "--detach 100000 tasks: exit status [$(head -c 300 "$SANDBOX/big.err")]"
assert_le "$took" 499 "--detach with 100000 tasks: returned after ${took} ms"
note "--detach with 100000 tasks returned after $took ms"
out=$(cat "$SANDBOX/big.out")
assert_match "^$RUN [0-9]+\$" "$out" "--detach 100000 tasks: stdout"
bpid=${out##* }
if [[ $bpid =~ ^[0-9]+$ ]]; then
	E2E_BG_PIDS+=("$bpid")
	proc_alive "$bpid" || fail "--detach 100000 tasks: supervisor $bpid is not running right after the detach"
	kill -TERM "$bpid"
	wait_for "! proc_alive $bpid" 30 || fail "--detach 100000 tasks: supervisor $bpid still alive 30 s after SIGTERM"
	wait_for "[ -f '$LOG/summary.json' ]" 5 || fail "--detach 100000 tasks: no summary.json after SIGTERM"
	assert_eq 143 "$(json_get "$LOG/summary.json" exit_status)" "--detach 100000 tasks, SIGTERM: summary.json exit_status"
	assert_eq 100000 "$(json_get "$LOG/summary.json" total)" "--detach 100000 tasks: summary.json total"
fi
assert_no_survivors "$RUN" 5
