#!/bin/bash
# rel-stop-cont.sh: SIGSTOP / SIGCONT of the supervisor and of workers.
#
#  - supervisor: 80 tasks (SOAK=1: 400) of 0-0.2 s under -j 4; a stopper
#    loop SIGSTOPs the supervisor for 0.1-0.4 s at random moments until it
#    ends. While it is stopped, oneshot-ps -n NAME answers within 1 s. Exit 0,
#    every task COMPLETED with its whole transcript, one joblog line each,
#    tokens_free == jobs, nothing left.
#  - workers: 80 tasks (SOAK=1: 400) printing 5 lines 20 ms apart under -j 4;
#    a stopper loop SIGSTOPs a random worker for 0.1-0.4 s at random moments.
#    While a worker is stopped (maybe in the middle of writing its slot),
#    oneshot-ps answers within 1 s. Same assertions.
#  - both at once, with --timeout 20 (no task reaches it).
#  - SIGTERM to a stopped supervisor: it acts on it once continued: exit 143,
#    running tasks INTERRUPTED (reason shutdown), the others never started,
#    nothing left.
# In the first three cases the tasks wait at a gate until every stop loop
# has stopped its target once (the gate opens while it is stopped), so that
# however slow the machine there is a live worker to stop and each loop
# stops something (checked); then the stops fall where they fall.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/rel-lib.sh"

NTASKS=$(soak 80 400)
PS_SLOW=0	# oneshot-ps calls that took 1 s or more (or failed) while something was stopped

# ps_probe NAME TAG: oneshot-ps -n NAME answers within 1 s with status 0
ps_probe() {
	local t0 rc ms
	t0=$(now_us)
	timeout -k 1 5 "$PS" -n "$1" </dev/null >"$SANDBOX/probe.out" 2>&1
	rc=$?
	ms=$(ms_since "$t0")
	if [ "$rc" -ne 0 ] || [ "$ms" -ge 1000 ]; then
		echo "$2: oneshot-ps -n $1 took $ms ms, exit $rc: $(head -c 200 "$SANDBOX/probe.out")" >>"$SANDBOX/probe.fail"
	fi
}

# stop_loop TARGET SUP_PID NAME COUNTFILE LOGDIR: until SUP_PID is gone or
# has written LOGDIR/summary.json (what it forks after that is no worker: e.g.
# LeakSanitizer's tracer under ASan), SIGSTOP the target (supervisor: SUP_PID;
# worker: a random worker), probe oneshot-ps, SIGCONT after 0.1-0.4 s; one
# line per stop in COUNTFILE.
stop_loop() {
	local what=$1 sup=$2 name=$3 out=$4 log=$5 p
	# A supervisor stopped before creating its table (slow under ASan)
	# proves nothing.
	wait_table "$name" "$sup" 30
	while proc_alive "$sup" && [ ! -e "$log/summary.json" ]; do
		sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
		if [ "$what" = supervisor ]; then
			p=$sup
		else
			rel_workers_list "$sup"
			[ "${#REL_WS[@]}" -gt 0 ] || continue
			p=${REL_WS[RANDOM % ${#REL_WS[@]}]}
		fi
		kill -STOP "$p" 2>/dev/null || continue
		echo "$p" >>"$out"
		ps_probe "$name" "$what $p stopped"
		sleep "0.$((RANDOM % 4 + 1))"
		kill -CONT "$p" 2>/dev/null
	done
}

# each_stopped TAG WHAT...: every stop loop of case TAG stopped something
each_stopped() {
	local tag=$1 w
	shift
	for w in "$@"; do
		[ -s "$SANDBOX/stops.$tag.$w" ] || return 1
	done
}

# stop_case TAG WHAT... : run the tasks with a stop loop for each WHAT
stop_case() {
	local tag=$1 w st tick n pd tasks gate
	shift
	new_run "$tag"
	pd="$SANDBOX/pids.$tag"
	mkdir "$pd"
	tasks="$SANDBOX/tasks.$tag"
	gate="$SANDBOX/gate.$tag"
	gate_close "$gate"
	for i in $(seq 1 "$NTASKS"); do
		echo "echo \$\$ >>'$pd/'\$ONESHOT_TASK_ID; $(gate_wait "$gate"); for i in 1 2 3 4 5; do echo \$ONESHOT_TASK_ID.\$i; sleep 0.0$((RANDOM % 4)); done"
	done >"$tasks"
	start_bg -j 4 --timeout 20 --grace 1 -n "$RUN" -L "$LOG" "$tasks" 2>"$SANDBOX/err.$tag"
	local -a lps=()
	for w in "$@"; do
		: >"$SANDBOX/stops.$tag.$w"
		stop_loop "$w" "$SUP_PID" "$RUN" "$SANDBOX/stops.$tag.$w" "$LOG" &
		lps+=($!)
	done
	# the tasks go on once every loop has stopped its target (most often
	# while it is still stopped: a loop keeps it so 0.1-0.4 s)
	wait_for "each_stopped $tag $*" 15
	gate_open "$gate"
	wait_exit "$SUP_PID" "$(soak 60 300)"
	st=$EXIT_STATUS
	tick=$(rel_tick)
	wait "${lps[@]}" 2>/dev/null
	# a loop that stopped a worker right before the end has continued it by now
	n=$(cat "$SANDBOX/stops.$tag".* | wc -l)
	REL_RUNS=$((REL_RUNS + 1))
	REL_KILLS=$((REL_KILLS + n))
	note "$tag: $n SIGSTOPs ($*), exit $st"
	[ "$n" -gt 0 ] || fail "$tag: nothing was stopped (the test did not test anything)"
	for w in "$@"; do
		[ -s "$SANDBOX/stops.$tag.$w" ] || fail "$tag: no $w was stopped (the test did not test it)"
	done
	assert_eq 0 "$st" "$tag: exit status ($(head -c 300 "$SANDBOX/err.$tag"))"
	rel_verify "$tag" "$RUN" "$LOG" "$NTASKS" all-completed
	bad=0
	for i in $(seq 1 "$NTASKS"); do
		want=$(printf '%s.1\n%s.2\n%s.3\n%s.4\n%s.5' $i $i $i $i $i)
		got=$(cat "$LOG/$i.log" 2>/dev/null)
		if [ "$got" != "$want" ]; then
			bad=$((bad + 1))
			[ "$bad" -le 3 ] && fail "$tag: task $i's transcript: expected [$(show "$want")], got [$(show "$got")]"
		fi
	done
	[ "$bad" -le 3 ] || fail "$tag: $bad transcripts wrong in all"
	rel_assert_none_left "$tag" "$RUN" 3 "$tick" "$pd"/*
}

stop_case supervisor supervisor
stop_case workers worker
stop_case both supervisor worker

if [ -s "$SANDBOX/probe.fail" ]; then
	fail "oneshot-ps was not responsive while the supervisor or a worker was stopped ($(wc -l <"$SANDBOX/probe.fail") of the probes): $(head -n 3 "$SANDBOX/probe.fail" | tr '\n' ';')"
fi

# ---- SIGTERM while the supervisor is stopped: acted on after SIGCONT
new_run termstop
pd="$SANDBOX/pids.termstop"
mkdir "$pd"
for i in 1 2 3 4 5 6; do
	echo "echo \$\$ >>'$pd/'\$ONESHOT_TASK_ID; sleep 30"
done >"$SANDBOX/tasks.termstop"
start_bg -j 3 --grace 1 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.termstop" 2>"$SANDBOX/err.termstop"
wait_for "[ \$(ls '$pd' | wc -l) -ge 3 ]" 20 || fail "termstop: 3 tasks did not start within 20 s"
kill -STOP "$SUP_PID"
kill -TERM "$SUP_PID"
sleep 0.3	# the supervisor is stopped: nothing can happen; give it the chance to go wrong
proc_alive "$SUP_PID" || fail "termstop: the stopped supervisor is gone"
assert_eq NOLINE "$(joblog_col "$LOG" 1 State)" "termstop: task 1's joblog line while the supervisor is stopped"
REL_KILLS=$((REL_KILLS + 1))
kill -CONT "$SUP_PID"
wait_exit "$SUP_PID" 15
tick=$(rel_tick)
REL_RUNS=$((REL_RUNS + 1))
assert_eq 143 "$EXIT_STATUS" "termstop: exit status after SIGTERM to the stopped supervisor and SIGCONT"
rel_verify termstop "$RUN" "$LOG" 6 stopped
for i in 1 2 3; do
	assert_eq INTERRUPTED "$(joblog_col "$LOG" $i State)" "termstop: task $i State"
	assert_eq shutdown "$(events "$LOG" $i | awk '$3 == "INTERRUPTED" { print $4 }')" "termstop: task $i reason"
done
assert_eq 3 "$(ls "$pd" | wc -l | tr -d ' ')" "termstop: tasks started (the others must not start after SIGTERM)"
rel_assert_none_left termstop "$RUN" 3 "$tick" "$pd"/*
