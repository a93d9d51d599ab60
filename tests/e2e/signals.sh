#!/bin/bash
# signals.sh: signals to the supervisor and to workers.
#  - SIGTERM / SIGINT to the supervisor mid-run (-j 2, 4 tasks of sleep 30):
#    exit 143 / 130, the two running tasks INTERRUPTED (joblog; events reason
#    shutdown), the two others never started, summary.json valid with the
#    counts and exit status, nothing of the run alive.
#  - SIGKILL to the supervisor: within grace+1 s no task and no worker is
#    alive (one task ignores SIGTERM); a new run with the same name then
#    replaces the dead run's table and runs.
#  - SIGTERM to one worker: that task INTERRUPTED (reason signal), the others
#    COMPLETED, exit 1.
#  - SIGKILL to one worker: that task FAILED (reason worker-lost), its process
#    group gone, the rest of the run finishes with 2 tasks at once again (the
#    token came back, the cap holds), exit 1.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"

P="$SANDBOX/pids"
mkdir "$P"

# count_files DIR: number of files in DIR
count_files() { ls "$1" 2>/dev/null | wc -l | tr -d ' '; }

# ---------------------------------------------------------------- SIGTERM / SIGINT
# shutdown_case TAG SIGNAL STATUS
shutdown_case() {
	local tag=$1 sig=$2 want=$3 d="$P/$1" pids p i
	new_run "$tag"
	mkdir "$d"
	: >"$SANDBOX/tasks.$tag"
	for i in 1 2 3 4; do
		echo "echo \$\$ >'$d/'\$ONESHOT_TASK_ID; sleep 30" >>"$SANDBOX/tasks.$tag"
	done
	start_bg -j 2 --grace 2 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.$tag"
	if ! wait_for "[ \$(count_files '$d') -ge 2 ]" 20; then
		fail "$tag: two tasks did not start within 20 s"
	fi
	# both running tasks are RUNNING in events.jsonl before the signal
	wait_for "[ \"\$(states '$LOG' 1)\" = RUNNING ] && [ \"\$(states '$LOG' 2)\" = RUNNING ]" 10 ||
		fail "$tag: tasks 1, 2 not RUNNING in events.jsonl: [$(states "$LOG" 1)] [$(states "$LOG" 2)]"
	pids=$(echo $(cat "$d"/* 2>/dev/null))
	kill -"$sig" "$SUP_PID"
	wait_exit "$SUP_PID" 15
	assert_eq "$want" "$EXIT_STATUS" "$tag: exit status after SIG$sig"
	assert_eq 2 "$(count_files "$d")" "$tag: tasks started (-j 2, the others must not start after SIG$sig)"
	for i in 1 2; do
		assert_eq INTERRUPTED "$(joblog_col "$LOG" $i State)" "$tag: task $i State (joblog)"
		assert_eq "RUNNING INTERRUPTED" "$(states "$LOG" $i)" "$tag: task $i states (events.jsonl)"
		assert_eq shutdown "$(events "$LOG" $i | awk '$3 == "INTERRUPTED" { print $4 }')" "$tag: task $i interrupt reason"
	done
	for i in 3 4; do
		assert_eq "" "$(states "$LOG" $i)" "$tag: task $i (never started) events"
		assert_no_file "$d/$i" "$tag: task $i never started, so its pid file"
	done
	assert_eq "$JOBLOG_HEADER" "$(head -n 1 "$LOG/joblog" 2>/dev/null)" "$tag: joblog header"
	if assert_file "$LOG/summary.json" "$tag: summary.json"; then
		if json_valid "$LOG/summary.json"; then
			assert_eq "$want" "$(json_get "$LOG/summary.json" exit_status)" "$tag: summary.json exit_status"
			assert_eq 4 "$(json_get "$LOG/summary.json" total)" "$tag: summary.json total"
			assert_eq 2 "$(json_get "$LOG/summary.json" counts.interrupted)" "$tag: summary.json counts.interrupted"
			assert_eq 2 "$(json_get "$LOG/summary.json" counts.not_started)" "$tag: summary.json counts.not_started"
			assert_eq 0 "$(json_get "$LOG/summary.json" counts.completed)" "$tag: summary.json counts.completed"
			assert_eq 0 "$(json_get "$LOG/summary.json" counts.failed)" "$tag: summary.json counts.failed"
			assert_eq "$RUN" "$(json_get "$LOG/summary.json" name)" "$tag: summary.json name"
			assert_eq "$SUP_PID" "$(json_get "$LOG/summary.json" supervisor_pid)" "$tag: summary.json supervisor_pid"
		else
			fail "$tag: summary.json is not valid JSON: $(head -c 300 "$LOG/summary.json")"
		fi
	fi
	assert_no_survivors "$RUN" 3 $pids
}

shutdown_case term TERM 143
shutdown_case int INT 130

# ---------------------------------------------------------------- a second SIGTERM
# tasks ignore SIGTERM and --grace is 30 s: the first SIGTERM interrupts them
# (they live on through the grace), the second SIGKILLs everything at once
new_run term2
d="$P/term2"
mkdir "$d"
: >"$SANDBOX/tasks.term2"
for i in 1 2; do
	echo "echo \$\$ >'$d/'\$ONESHOT_TASK_ID; trap '' TERM; sleep 30" >>"$SANDBOX/tasks.term2"
done
start_bg -j 2 --grace 30 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.term2"
wait_for "[ -s '$d/1' ] && [ -s '$d/2' ]" 20 || fail "term2: tasks did not start within 20 s"
wait_for "[ \"\$(states '$LOG' 1)\" = RUNNING ] && [ \"\$(states '$LOG' 2)\" = RUNNING ]" 10 ||
	fail "term2: tasks 1, 2 not RUNNING in events.jsonl"
pids=$(echo $(cat "$d"/* 2>/dev/null))
kill -TERM "$SUP_PID"
wait_for "[ \"\$(states '$LOG' 1)\" = 'RUNNING INTERRUPTED' ] && [ \"\$(states '$LOG' 2)\" = 'RUNNING INTERRUPTED' ]" 10 ||
	fail "term2: tasks not INTERRUPTED after the first SIGTERM: [$(states "$LOG" 1)] [$(states "$LOG" 2)]"
for p in $pids; do
	proc_alive "$p" || fail "term2: task $p (ignores SIGTERM, grace 30 s) died before the second SIGTERM"
done
proc_alive "$SUP_PID" || fail "term2: the supervisor exited before the grace period of its tasks ran out"
t0=$(now_us)
kill -TERM "$SUP_PID"
wait_exit "$SUP_PID" 20
took=$(ms_since "$t0")
assert_eq 143 "$EXIT_STATUS" "term2: exit status after two SIGTERMs"
assert_le "$took" 5000 "term2: the supervisor took ${took} ms to exit after the second SIGTERM (grace is 30 s)"
for i in 1 2; do
	assert_eq INTERRUPTED "$(joblog_col "$LOG" $i State)" "term2: task $i State (joblog)"
done
assert_eq 143 "$(json_get "$LOG/summary.json" exit_status)" "term2: summary.json exit_status"
assert_no_survivors "$RUN" 3 $pids

# ---------------------------------------------------------------- SIGKILL to the supervisor
new_run kill
d="$P/kill"
mkdir "$d"
cat >"$SANDBOX/tasks.kill" <<EOF
echo \$\$ >'$d/1'; trap '' TERM; sleep 30
echo \$\$ >'$d/2'; sleep 30
echo \$\$ >'$d/3'; sleep 30
EOF
start_bg -j 2 --grace 1 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.kill"
wait_for "[ -s '$d/1' ] && [ -s '$d/2' ]" 20 || fail "kill: tasks 1, 2 did not start within 20 s"
wait_for "[ \$(children_of $SUP_PID | wc -l) -ge 2 ]" 5 || fail "kill: fewer than 2 workers under the supervisor"
workers=$(echo $(children_of "$SUP_PID"))
tasks=$(echo $(cat "$d"/* 2>/dev/null))
note "kill: supervisor $SUP_PID, workers $(echo $workers), tasks $(echo $tasks)"
{
	kill -KILL "$SUP_PID"
	t0=$(now_us)
	wait "$SUP_PID"
} 2>/dev/null
# within grace + 1 s no process of the run is alive
if wait_for "no_survivors '$RUN' $workers $tasks" 2; then
	note "kill: everything gone $(ms_since "$t0") ms after SIGKILL"
else
	assert_no_survivors "$RUN" 0 $workers $tasks
	wait_for "no_survivors '$RUN' $workers $tasks" 10 &&
		note "kill: (everything did go, $(ms_since "$t0") ms after SIGKILL: later than grace+1 s)"
fi
assert_no_file "$d/3" "kill: task 3 must never start once the supervisor is dead; its pid file"
# the workers interrupted their tasks themselves
for i in 1 2; do
	assert_eq "RUNNING INTERRUPTED" "$(states "$LOG" $i)" "kill: task $i states (events.jsonl)"
	assert_eq supervisor-lost "$(events "$LOG" $i | awk '$3 == "INTERRUPTED" { print $4 }')" "kill: task $i interrupt reason"
done
# the dead run's table is replaced by a new run with the same name
assert_file "$SHM" "kill: the table of the killed run"
echo "echo again" | supervise -n "$RUN" -L "$LOG.again" - >"$SANDBOX/again.out" 2>&1
assert_eq 0 "$?" "kill: a new run over the dead run's name: exit status ($(head -c 300 "$SANDBOX/again.out"))"
assert_eq again "$(tr -d '\r\n' <"$LOG.again/1.log" 2>/dev/null)" "kill: the new run's task ran"

# ---------------------------------------------------------------- SIGTERM to one worker
new_run wterm
d="$P/wterm"
mkdir "$d"
GO="$SANDBOX/go.wterm"
cat >"$SANDBOX/tasks.wterm" <<EOF
echo \$\$ >'$d/1'; sleep 30
echo \$\$ >'$d/2'; i=0; while [ ! -e '$GO' ] && [ \$i -lt 600 ]; do sleep 0.05; i=\$((i+1)); done; [ -e '$GO' ]
echo \$\$ >'$d/3'; i=0; while [ ! -e '$GO' ] && [ \$i -lt 600 ]; do sleep 0.05; i=\$((i+1)); done; [ -e '$GO' ]
EOF
start_bg -j 2 --grace 2 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.wterm"
wait_for "[ -s '$d/1' ] && [ -s '$d/2' ]" 20 || fail "wterm: tasks 1, 2 did not start within 20 s"
t1=$(cat "$d/1" 2>/dev/null)
w1=$(proc_stat "$t1" | awk '{ print $2 }')   # the task's parent: its worker
if [ -z "$w1" ] || ! children_of "$SUP_PID" | grep -qx "$w1"; then
	fail "wterm: the parent of task 1 ($t1) is [$w1], not a child of the supervisor $SUP_PID (children: $(echo $(children_of "$SUP_PID")))"
else
	kill -TERM "$w1"
	wait_for "joblog_col '$LOG' 1 State | grep -qx -e COMPLETED -e FAILED -e INTERRUPTED" 10 ||
		fail "wterm: no joblog line for task 1 within 10 s of SIGTERM to its worker"
	assert_eq INTERRUPTED "$(joblog_col "$LOG" 1 State)" "wterm: task 1 State after SIGTERM to its worker"
	assert_group_gone "$t1" 5 "wterm: task 1's process group"
fi
assert_eq NOLINE "$(joblog_col "$LOG" 2 State)" "wterm: task 2 must still be running (only task 1 is interrupted)"
touch "$GO"
wait_exit "$SUP_PID" 30
assert_eq 1 "$EXIT_STATUS" "wterm: exit status"
assert_eq "RUNNING INTERRUPTED" "$(states "$LOG" 1)" "wterm: task 1 states"
assert_eq signal "$(events "$LOG" 1 | awk '$3 == "INTERRUPTED" { print $4 }')" "wterm: task 1 interrupt reason"
assert_eq COMPLETED "$(joblog_col "$LOG" 2 State)" "wterm: task 2 State"
assert_eq COMPLETED "$(joblog_col "$LOG" 3 State)" "wterm: task 3 State"
assert_eq 3 "$(joblog_count "$LOG")" "wterm: joblog lines"
assert_no_survivors "$RUN" 3 $(cat "$d"/* 2>/dev/null)

# ---------------------------------------------------------------- SIGKILL to one worker
new_run wkill
d="$P/wkill"
mkdir "$d"
GO="$SANDBOX/go.wkill"
REC="$SANDBOX/rec.wkill"
{
	echo "echo \$\$ >'$d/1'; sleep 30"
	for i in 2 3 4 5 6; do
		echo "echo \$\$ >'$d/'\$ONESHOT_TASK_ID; echo \"start \$ONESHOT_TASK_ID \$(date +%s%N)\" >>'$REC'; i=0; while [ ! -e '$GO' ] && [ \$i -lt 600 ]; do sleep 0.05; i=\$((i+1)); done; sleep 0.3; echo \"end \$ONESHOT_TASK_ID \$(date +%s%N)\" >>'$REC'"
	done
} >"$SANDBOX/tasks.wkill"
start_bg -j 2 --grace 2 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.wkill"
wait_for "[ -s '$d/1' ] && [ -s '$d/2' ]" 20 || fail "wkill: tasks 1, 2 did not start within 20 s"
t1=$(cat "$d/1" 2>/dev/null)
w1=$(proc_stat "$t1" | awk '{ print $2 }')
if [ -z "$w1" ] || ! children_of "$SUP_PID" | grep -qx "$w1"; then
	fail "wkill: the parent of task 1 ($t1) is [$w1], not a child of the supervisor $SUP_PID"
else
	kill -KILL "$w1"
	assert_group_gone "$t1" 5 "wkill: task 1's process group after SIGKILL to its worker"
	# the token comes back: task 3 starts while task 2 still waits
	wait_for "[ -s '$d/3' ]" 10 || fail "wkill: task 3 did not start within 10 s after task 1's worker was killed (token leaked?)"
fi
assert_eq 3 "$(count_files "$d")" "wkill: tasks started before the go signal (1, then 2 and 3 under -j 2)"
touch "$GO"
wait_exit "$SUP_PID" 30
assert_eq 1 "$EXIT_STATUS" "wkill: exit status"
assert_eq FAILED "$(joblog_col "$LOG" 1 State)" "wkill: task 1 State"
assert_eq worker-lost "$(events "$LOG" 1 | awk '$3 == "FAILED" { print $4 }')" "wkill: task 1 fail reason (events.jsonl)"
for i in 2 3 4 5 6; do
	assert_eq COMPLETED "$(joblog_col "$LOG" $i State)" "wkill: task $i State"
done
overlap=$(awk '{ print $3, ($1 == "start" ? 1 : 0) }' "$REC" 2>/dev/null | sort -k1,1n -k2,2n |
	awk '$2 == 1 { n++; if (n > m) m = n } $2 == 0 { n-- } END { print m + 0 }')
assert_eq 2 "$overlap" "wkill: most tasks at once after the worker was killed (-j 2)"
assert_no_survivors "$RUN" 3 $(cat "$d"/* 2>/dev/null)
