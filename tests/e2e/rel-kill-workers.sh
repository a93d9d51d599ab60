#!/bin/bash
# rel-kill-workers.sh: SIGKILL to random workers at random moments.
#
# Each round runs 200 short tasks (0-0.4 s) (SOAK=1: 1000) under -j 8 while a killer
# loop SIGKILLs a random worker (a child of the supervisor running the
# supervisor's executable: not a stray it adopted) every 0-30 ms. 3 rounds
# (SOAK=1: 20). So that there is always something to kill, however slow the
# machine, the tasks wait at a gate before their sleep until the killer has
# killed 3 workers; from then on they come and go as they please and the
# kills fall where they fall. After each round:
#  - the run finished by itself (exit 1 when a task was lost to a kill, 0 when
#    every kill came too late to matter);
#  - the killer killed at least the 3 workers held at the gate, and each of
#    their tasks is FAILED with reason worker-lost;
#  - every task whose worker was killed is FAILED with reason worker-lost (or
#    COMPLETED, when the kill came after the task ended), every other task is
#    COMPLETED with its whole transcript;
#  - the joblog has exactly one line per task, events.jsonl exactly one
#    terminal transition per task, both agreeing with the table;
#  - tokens_free == jobs in the finished table (oneshot-ps --json);
#  - no task process is left: each task records its pid (and a child's) in a
#    file; /proc/*/environ is scanned for ONESHOT_RUN=<name>.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/rel-lib.sh"

ROUNDS=$(soak 3 20)
NTASKS=$(soak 200 1000)
JOBS=8

HELD=3		# workers killed while every task waits at the gate

# killer SUP_PID KILLFILE LOGDIR GATE: SIGKILL a random worker of SUP_PID
# every 0-30 ms until the supervisor is gone or has written
# LOGDIR/summary.json (its run is over: what it forks then is no worker, e.g.
# LeakSanitizer's tracer at exit under ASan); append each killed pid to
# KILLFILE. Open GATE after the HELD-th kill (or after 30 s without them: the
# round then fails).
killer() {
	local sup=$1 out=$2 log=$3 gate=$4 w n=0 give_up=$((SECONDS + 30))
	while proc_alive "$sup" && [ ! -e "$log/summary.json" ]; do
		sleep "0.0$((RANDOM % 4))"
		[ "$n" -ge "$HELD" ] || [ "$SECONDS" -lt "$give_up" ] || { gate_open "$gate"; n=$HELD; }
		rel_workers_list "$sup"
		[ "${#REL_WS[@]}" -gt 0 ] || continue
		w=${REL_WS[RANDOM % ${#REL_WS[@]}]}
		kill -KILL "$w" 2>/dev/null || continue
		echo "$w" >>"$out"
		n=$((n + 1))
		[ "$n" -eq "$HELD" ] && gate_open "$gate"
	done
	gate_open "$gate"
}

for round in $(seq 1 "$ROUNDS"); do
	tag="round$round"
	new_run "$tag"
	pd="$SANDBOX/pids.$tag"
	mkdir "$pd"
	tasks="$SANDBOX/tasks.$tag"
	kills="$SANDBOX/kills.$tag"
	: >"$kills"
	gate="$SANDBOX/gate.$tag"
	gate_close "$gate"
	hold=$(gate_wait "$gate")
	for i in $(seq 1 "$NTASKS"); do
		case $((i % 4)) in
		0) # a child in the background too: it must go with the task
			echo "echo \$\$ >>'$pd/'\$ONESHOT_TASK_ID; $hold; sleep 0.$((RANDOM % 3 + 1))$((RANDOM % 10)) & echo \$! >>'$pd/'\$ONESHOT_TASK_ID; wait; echo ok \$ONESHOT_TASK_ID" ;;
		*)
			echo "echo \$\$ >>'$pd/'\$ONESHOT_TASK_ID; $hold; sleep 0.$((RANDOM % 3))$((RANDOM % 10)); echo ok \$ONESHOT_TASK_ID" ;;
		esac
	done >"$tasks"
	t0=$(now_us)
	start_bg -j "$JOBS" --grace 1 -n "$RUN" -L "$LOG" "$tasks" 2>"$SANDBOX/err.$tag"
	killer "$SUP_PID" "$kills" "$LOG" "$gate" &
	kpid=$!
	wait_exit "$SUP_PID" "$(soak 50 300)"
	st=$EXIT_STATUS
	tick=$(rel_tick)
	wait "$kpid" 2>/dev/null
	nk=$(wc -l <"$kills")
	REL_RUNS=$((REL_RUNS + 1))
	REL_KILLS=$((REL_KILLS + nk))
	rel_verify "$tag" "$RUN" "$LOG" "$NTASKS" kill "$kills"
	wl=$(rel_field worker_lost "$REL_SUMMARY")
	note "$tag: $NTASKS tasks, $nk workers killed, $wl tasks FAILED/worker-lost, exit $st, $(ms_since "$t0") ms"
	if [ "${wl:-0}" -gt 0 ]; then
		assert_eq 1 "$st" "$tag: exit status ($wl tasks lost their worker)"
	else
		assert_match '^[01]$' "$st" "$tag: exit status"
	fi
	[ "$nk" -gt 0 ] || fail "$tag: the killer killed no worker (the test did not test anything)"
	assert_le "$HELD" "$nk" "$tag: workers killed while the tasks waited at the gate"
	assert_le "$HELD" "${wl:-0}" "$tag: tasks FAILED/worker-lost (the $HELD killed at the gate could not have ended)"
	assert_le "${wl:-0}" "$nk" "$tag: tasks FAILED/worker-lost vs workers killed"
	# transcripts of the tasks whose worker was not killed are whole
	"$PYTHON" - "$LOG.ps.json" "$LOG" "$kills" <<'EOF' | while IFS= read -r l; do fail "$tag: $l"; done
import json, sys
d = json.load(open(sys.argv[1]))
killed = set(int(x) for x in open(sys.argv[3]).read().split())
bad = 0
for t in d["tasks"]:
    if t["worker_pid"] in killed or t["worker_pid"] is None or t["state"] != "COMPLETED":
        continue  # (None: an unreadable slot, reported by rel_check)
    try:
        got = open("%s/%d.log" % (sys.argv[2], t["id"]), "rb").read()
    except OSError as e:
        got = repr(e).encode()
    want = b"ok %d\n" % t["id"]
    if got != want:
        bad += 1
        if bad <= 5:
            print("task %d (worker not killed): transcript %r, expected %r" % (t["id"], got[:80], want))
if bad > 5:
    print("... %d transcripts wrong in all" % bad)
EOF
	# stderr names the lost workers, nothing worse
	if grep -Eiv 'task [0-9]+: |worker' "$SANDBOX/err.$tag" | grep -q .; then
		note "$tag: supervisor stderr: $(head -c 500 "$SANDBOX/err.$tag")"
	fi
	rel_assert_none_left "$tag" "$RUN" 3 "$tick" "$pd"/*
done
