#!/bin/bash
# rel-kill-supervisor.sh: SIGKILL to the supervisor mid-run, repeated.
#
# Each round (3; SOAK=1: 15) starts 40 tasks under -j 8 --grace 1: plain
# sleepers, tasks ignoring SIGTERM, tasks with a child ignoring SIGHUP and
# SIGTERM, tasks with a child escaped with setsid, and quick ones. Once 8 tasks
# run, after a random 0-0.5 s, the supervisor gets SIGKILL. Then:
#  - within grace + 1 s no process of the run is alive (workers, tasks, their
#    children, the escaped ones);
#  - oneshot-ps -n NAME --json: alive false, exit_status null, state not
#    "done"; no task left RUNNING or IDLE (each worker recorded its task's end:
#    INTERRUPTED with reason supervisor-lost, or its own exit); a task that
#    never started is CREATED (or FAILED, reason supervisor-lost, if its worker
#    was forked just before the kill); oneshot-ps --wait exits 125;
#  - a new run with the same name starts cleanly and completes: exit 0, every
#    task COMPLETED, one joblog line each, tokens_free == jobs.
# Then once more with SIGKILL to the supervisor's whole process group (what
# "kill -9 %1" in a shell does; the workers are in that group), tasks ignoring
# SIGHUP: within grace + 1 s no process of the run is alive.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/rel-lib.sh"

ROUNDS=$(soak 3 15)
NTASKS=40
GRACE=1

BIN="$SANDBOX/bin"
mkdir "$BIN"
# escape PIDFILE: record our pid, ignore SIGHUP and SIGTERM, sleep (run as
# "setsid sh escape FILE &": a new session, out of the task's process group)
cat >"$BIN/escape" <<'EOF'
echo $$ >>"$1"
trap '' HUP TERM
exec sleep 30
EOF

# count_files DIR: how many files DIR holds (forks nothing)
count_files() {
	local f n=0
	for f in "$1"/*; do
		[ -e "$f" ] && n=$((n + 1))
	done
	echo "$n"
}

# helpers_recorded DIR N: DIR holds the pid files of tasks 1..N of the group
# case, each with as many pids as its kind makes (2 with a child, 1 without)
helpers_recorded() {
	local i want
	local -a l
	for ((i = 1; i <= $2; i++)); do
		want=$(( i % 3 == 0 ? 1 : 2 ))
		l=()
		mapfile -t l 2>/dev/null <"$1/$i"
		[ "${#l[@]}" -ge "$want" ] || return 1
	done
}

for round in $(seq 1 "$ROUNDS"); do
	tag="round$round"
	new_run "$tag"
	pd="$SANDBOX/pids.$tag"
	mkdir "$pd"
	tasks="$SANDBOX/tasks.$tag"
	for i in $(seq 1 "$NTASKS"); do
		f="'$pd/'\$ONESHOT_TASK_ID"
		case $((RANDOM % 5)) in
		0) echo "echo \$\$ >>$f; sleep 30" ;;
		1) echo "echo \$\$ >>$f; trap '' TERM; sleep 30" ;;
		2) echo "echo \$\$ >>$f; (trap '' HUP TERM; exec sleep 30) & echo \$! >>$f; sleep 30" ;;
		3) echo "echo \$\$ >>$f; setsid sh '$BIN/escape' $f & sleep 30" ;;
		4) echo "echo \$\$ >>$f; sleep 0.$((RANDOM % 5))" ;;
		esac
	done >"$tasks"
	start_bg -j 8 --grace "$GRACE" -n "$RUN" -L "$LOG" "$tasks" 2>"$SANDBOX/err.$tag"
	wait_for "[ \$(count_files '$pd') -ge 8 ]" 20 || fail "$tag: 8 tasks did not start within 20 s"
	sleep "0.$((RANDOM % 6))"
	rel_workers_list "$SUP_PID"
	workers=${REL_WS[*]}
	echo "$workers" >"$SANDBOX/workers.$tag"
	{
		kill -KILL "$SUP_PID"
		t0=$(now_us)
		wait "$SUP_PID"
	} 2>/dev/null
	REL_RUNS=$((REL_RUNS + 1))
	REL_KILLS=$((REL_KILLS + 1))
	REL_TASKS=$((REL_TASKS + NTASKS))
	tick=$(rel_tick)
	limit=$((GRACE + 1))
	if wait_for "[ -z \"\$(rel_survivors '$RUN' '$tick' '$SANDBOX/workers.$tag' '$pd'/*)\" ]" "$limit"; then
		note "$tag: supervisor killed with $(echo $workers | wc -w) workers; all gone after $(ms_since "$t0") ms"
	else
		left=$(rel_survivors "$RUN" "$tick" "$SANDBOX/workers.$tag" "$pd"/*)
		fail "$tag: $(echo $left | wc -w) process(es) of the run alive ${limit} s (grace + 1) after SIGKILL to the supervisor: $(describe_pids $left)"
		if wait_for "[ -z \"\$(rel_survivors '$RUN' '$tick' '$SANDBOX/workers.$tag' '$pd'/*)\" ]" 10; then
			note "$tag: (they did go, $(ms_since "$t0") ms after SIGKILL)"
		fi
		REL_LEFT=$((REL_LEFT + $(rel_survivors "$RUN" "$tick" "$SANDBOX/workers.$tag" "$pd"/* | wc -l)))
	fi
	# the table reads as DEAD, and no task is left running in it
	if rel_ps_json "$RUN" "$LOG.ps.json"; then
		"$PYTHON" - "$LOG.ps.json" "$pd" <<'EOF' >"$SANDBOX/check.$tag"
import json, os, sys
d = json.load(open(sys.argv[1]))
r = d["run"]
if r["alive"] is not False:
    print("ERR run alive=%r after SIGKILL to the supervisor and the end of its workers" % r["alive"])
if r["exit_status"] is not None:
    print("ERR exit_status %r: a killed run has none" % r["exit_status"])
if r["state"] == "done":
    print("ERR state 'done' for a run whose supervisor was killed")
lost = 0
for t in d["tasks"]:
    started = os.path.exists("%s/%d" % (sys.argv[2], t["id"]))
    st, why = t["state"], t["interrupt_reason"]
    ok = True
    if st in ("RUNNING", "IDLE"):
        ok = False
    elif st == "INTERRUPTED":
        ok = why == "supervisor-lost"
    elif st == "CREATED":
        ok = not started
    elif st == "FAILED" and not started:
        ok = why in ("supervisor-lost", "setup")
    if not ok:
        lost += 1
        print("ERR task %d: %s (reason %s, message %r, started %s)" % (t["id"], st, why, t["message"], started))
print("LOST %d" % lost)
EOF
		while IFS= read -r l; do
			case $l in
			"LOST "*) REL_LOST=$((REL_LOST + ${l#LOST })) ;;
			"ERR "*) fail "$tag: ${l#ERR }" ;;
			esac
		done <"$SANDBOX/check.$tag"
	else
		fail "$tag: oneshot-ps -n $RUN --json failed: $(head -c 300 "$LOG.ps.json.err")"
	fi
	PS_T0=$(now_us)
	timeout -k 2 10 "$PS" -n "$RUN" --wait 5 </dev/null >/dev/null 2>"$SANDBOX/wait.$tag"
	assert_eq 125 "$?" "$tag: oneshot-ps --wait on the killed run ($(head -c 200 "$SANDBOX/wait.$tag"))"
	# the next run with the same name starts cleanly and completes
	for i in $(seq 1 20); do echo "echo again $i"; done >"$tasks.again"
	supervise -j 8 -n "$RUN" -L "$LOG.again" "$tasks.again" >"$SANDBOX/again.$tag" 2>&1
	assert_eq 0 "$?" "$tag: a new run over the killed run's name: exit status ($(head -c 300 "$SANDBOX/again.$tag"))"
	REL_RUNS=$((REL_RUNS + 1))
	rel_verify "$tag: next run" "$RUN" "$LOG.again" 20 all-completed
	assert_eq "again 7" "$(cat "$LOG.again/7.log" 2>/dev/null)" "$tag: next run: task 7's transcript"
done

# ---- SIGKILL to the supervisor's whole process group, as "kill -9 %1" from an
# interactive shell (or anything that kills a job by its group) does: the
# workers are in the supervisor's group, so they die with it. The tasks, which
# ignore SIGHUP, must not outlive the run either.
new_run group
pd="$SANDBOX/pids.group"
mkdir "$pd"
for i in $(seq 1 8); do
	f="'$pd/'\$ONESHOT_TASK_ID"
	case $((i % 3)) in
	0) echo "echo \$\$ >>$f; trap '' HUP; sleep 30" ;;
	1) echo "echo \$\$ >>$f; trap '' HUP TERM; (exec sleep 30) & echo \$! >>$f; sleep 30" ;;
	2) echo "echo \$\$ >>$f; trap '' HUP; setsid sh '$BIN/escape' $f & sleep 30" ;;
	esac
done >"$SANDBOX/tasks.group"
# its own process group (setsid execs it: a background job is no group leader)
setsid "$SUPERVISE" -j 8 --grace "$GRACE" -n "$RUN" -L "$LOG" "$SANDBOX/tasks.group" 2>"$SANDBOX/err.group" &
SUP_PID=$!
E2E_BG_PIDS+=("$SUP_PID")
wait_for "[ \$(count_files '$pd') -ge 8 ]" 20 || fail "group: 8 tasks did not start within 20 s"
# every task has made its child (kill it before that and it tests less)
wait_for "helpers_recorded '$pd' 8" 20 || fail "group: the tasks' children did not all start within 20 s"
rel_workers "$SUP_PID" >"$SANDBOX/workers.group"
pgid=$(proc_stat "$SUP_PID" | awk '{ print $3 }')
assert_eq "$SUP_PID" "$pgid" "group: the supervisor leads its process group"
{
	kill -KILL -- "-$SUP_PID"
	t0=$(now_us)
	wait "$SUP_PID"
} 2>/dev/null
tick=$(rel_tick)
REL_RUNS=$((REL_RUNS + 1))
REL_KILLS=$((REL_KILLS + 1 + $(wc -l <"$SANDBOX/workers.group")))
REL_TASKS=$((REL_TASKS + 8))
limit=$((GRACE + 1))
if ! wait_for "[ -z \"\$(rel_survivors '$RUN' '$tick' '$SANDBOX/workers.group' '$pd'/*)\" ]" "$limit"; then
	left=$(rel_survivors "$RUN" "$tick" "$SANDBOX/workers.group" "$pd"/*)
	REL_LEFT=$((REL_LEFT + $(echo $left | wc -w)))
	fail "group: $(echo $left | wc -w) process(es) of the run alive ${limit} s after SIGKILL to the supervisor's process group (workers included): $(describe_pids $left)"
	for p in $left; do kill -KILL "$p" 2>/dev/null; done
else
	note "group: everything gone $(ms_since "$t0") ms after SIGKILL to the process group"
fi
