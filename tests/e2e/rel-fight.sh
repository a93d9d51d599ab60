#!/bin/bash
# rel-fight.sh: tasks that fight back, and what is left of them at the end.
#
# The fighters (each records every pid it makes in a file):
#   ignterm    ignores SIGTERM
#   kids       three children ignoring SIGHUP and SIGTERM; ignores SIGTERM
#   daemon     double fork + setsid + chdir / + stdio to /dev/null, the
#              daemon ignores SIGHUP and SIGTERM; the task stays (ignoring
#              SIGTERM)
#   noterm     closes its terminal (fds 0-2 to /dev/null), ignores SIGHUP and
#              SIGTERM
#   stopper    ignores SIGTERM and keeps sending itself SIGSTOP
#   respawn    a child in a new session that ignores SIGHUP/SIGTERM and forks
#              a new long sleep every 50 ms; the task ignores SIGTERM
#   pgrp       a child in its own process group (setpgid, same session)
#              ignoring SIGHUP/SIGTERM, holding the terminal
# and the ones that end by themselves, leaving things behind:
#   holders    exits at once while a child (same group, ignoring SIGHUP and
#              SIGTERM) and an escaped child (setsid) hold the PTY open
#   launcher   daemonizes (double fork + setsid) and exits 0
#   spammer    exits at once while a child keeps writing to the terminal
#
# Cases, each ending with "no process of the run alive" (pid files and
# ONESHOT_RUN in /proc/*/environ), checked 1 s after the supervisor exits
# ("once all started": every task and helper recorded its pid, the enders
# are COMPLETED and their workers gone):
#   natural    only the self-ending ones: exit 0, all COMPLETED
#   timeout    everything, --timeout 1 --grace 1: the fighters INTERRUPTED
#              (reason timeout), the others COMPLETED, exit 1
#   sigterm    everything, supervisor SIGTERM once all started: exit 143,
#              fighters INTERRUPTED (reason shutdown)
#   sigkill    everything, supervisor SIGKILL once all started: no process of
#              the run alive within grace + 1 s
#   wkill      everything, every worker SIGKILLed once all started: fighters
#              FAILED (worker-lost), exit 1
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/rel-lib.sh"

command -v setsid >/dev/null || skip "needs setsid (util-linux)"
GRACE=1
ROUNDS=$(soak 1 5)

BIN="$SANDBOX/bin"
mkdir "$BIN"
cat >"$BIN/escape" <<'EOF'
echo $$ >>"$1"
trap '' HUP TERM
exec sleep 30
EOF
cat >"$BIN/respawn" <<'EOF'
echo $$ >>"$1"
trap '' HUP TERM
while :; do
	sleep 30 &
	echo $! >>"$1"
	sleep 0.05
done
EOF
# daemon PIDFILE MODE: MODE exit (the caller returns at once), stay (the
# caller stays, ignoring SIGTERM), pgrp (no daemon: a child in its own
# process group, ignoring SIGHUP and SIGTERM, the terminal kept)
cat >"$BIN/daemon" <<'EOF'
import os, signal, sys, time
pf, mode = sys.argv[1], sys.argv[2]
def record():
    with open(pf, "a") as f:
        f.write("%d\n" % os.getpid())
def forever():
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    record()
    while True:
        time.sleep(1)
if mode == "pgrp":
    if os.fork() == 0:
        os.setpgid(0, 0)
        forever()
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        time.sleep(1)
if os.fork() > 0:
    if mode == "exit":
        os._exit(0)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    record()
    while True:
        time.sleep(1)
os.setsid()
if os.fork() > 0:
    os._exit(0)
os.chdir("/")
fd = os.open("/dev/null", os.O_RDWR)
for i in (0, 1, 2):
    os.dup2(fd, i)
forever()
EOF

FIGHTERS="ignterm kids daemon noterm stopper respawn pgrp"
NFIGHTERS=7
ENDERS="holders launcher spammer"

# line KIND PIDFILE: the task line of a fighter or an ender
line() {
	local f="'$2'"
	case $1 in
	ignterm) echo "echo \$\$ >>$f; trap '' TERM; sleep 30" ;;
	kids) echo "echo \$\$ >>$f; for i in 1 2 3; do (trap '' HUP TERM; exec sleep 30) & echo \$! >>$f; done; trap '' TERM; wait" ;;
	daemon) echo "echo \$\$ >>$f; exec '$PYTHON' '$BIN/daemon' $f stay" ;;
	noterm) echo "echo \$\$ >>$f; trap '' HUP TERM; exec </dev/null >/dev/null 2>&1; sleep 30" ;;
	stopper) echo "echo \$\$ >>$f; trap '' TERM; while :; do kill -STOP \$\$; done" ;;
	respawn) echo "echo \$\$ >>$f; setsid sh '$BIN/respawn' $f & trap '' TERM; sleep 30" ;;
	pgrp) echo "echo \$\$ >>$f; exec '$PYTHON' '$BIN/daemon' $f pgrp" ;;
	holders) echo "echo \$\$ >>$f; (trap '' HUP TERM; exec sleep 30) & echo \$! >>$f; setsid sh '$BIN/escape' $f & sleep 0.2; exit 0" ;;
	launcher) echo "echo \$\$ >>$f; '$PYTHON' '$BIN/daemon' $f exit; echo launched" ;;
	spammer) echo "echo \$\$ >>$f; (trap '' HUP TERM; while :; do echo spam; sleep 0.01; done) & echo \$! >>$f; sleep 0.2; exit 0" ;;
	esac
}

# setup_case TAG KIND...: new run, task file $TASKS with one task per KIND,
# pid files in $PD/ID; KIND of task I in KINDS[I]
setup_case() {
	local tag=$1 k i=0
	shift
	new_run "$tag"
	PD="$SANDBOX/pids.$tag"
	mkdir "$PD"
	TASKS="$SANDBOX/tasks.$tag"
	KINDS=(none)
	for k in "$@"; do
		i=$((i + 1))
		KINDS+=("$k")
		line "$k" "$PD/$i"
	done >"$TASKS"
	NT=$i
}

# all_started: every task wrote its pid file, and the fighters that make
# helpers made them
all_started() {
	local i
	for i in $(seq 1 "$NT"); do
		[ -s "$PD/$i" ] || return 1
		case ${KINDS[$i]} in
		kids) [ "$(wc -l <"$PD/$i")" -ge 4 ] || return 1 ;;
		daemon | respawn) [ "$(wc -l <"$PD/$i")" -ge 3 ] || return 1 ;;
		pgrp) [ "$(wc -l <"$PD/$i")" -ge 2 ] || return 1 ;;
		esac
	done
}

# enders_settled: every ender is COMPLETED in events.jsonl, nothing it made
# is alive any more (no process with its ONESHOT_TASK_ID in the run's
# environment: the launcher's daemon may be born after the launcher has
# exited), and no more workers are alive than there are fighters: what the
# enders left behind has been dealt with, so a signal sent now finds the
# fighters alone.
enders_settled() {
	local i line done=" " ids=() files
	while IFS= read -r line; do
		[[ $line == *'"to":"COMPLETED"'* && $line =~ \"task\":([0-9]+), ]] &&
			done+="${BASH_REMATCH[1]} "
	done 2>/dev/null <"$LOG/events.jsonl"
	for ((i = 1; i <= NT; i++)); do
		case " $ENDERS " in
		*" ${KINDS[$i]} "*)
			[[ $done == *" $i "* ]] || return 1
			ids+=("$i") ;;
		esac
	done
	rel_workers_list "$SUP_PID"
	[ "${#REL_WS[@]}" -le "$NFIGHTERS" ] || return 1
	files=$(grep -lzx -- "ONESHOT_RUN=$RUN" /proc/[0-9]*/environ 2>/dev/null)
	[ -n "$files" ] || return 0
	for i in "${ids[@]}"; do
		grep -qzx -- "ONESHOT_TASK_ID=$i" $files 2>/dev/null && return 1
	done
	return 0
}

# expect_states TAG FIGHTER_STATE REASON: fighters in FIGHTER_STATE with REASON,
# enders COMPLETED (from oneshot-ps --json kept by rel_verify in $LOG.ps.json)
expect_states() {
	local tag=$1 want=$2 reason=$3 i got
	for i in $(seq 1 "$NT"); do
		got=$("$PYTHON" -c '
import json, sys
t = json.load(open(sys.argv[1]))["tasks"][int(sys.argv[2]) - 1]
print(t["state"], t["interrupt_reason"] or "-")' "$LOG.ps.json" "$i" 2>/dev/null)
		case " $ENDERS " in
		*" ${KINDS[$i]} "*) assert_eq "COMPLETED -" "$got" "$tag: task $i (${KINDS[$i]}) state and reason" ;;
		*) assert_eq "$want $reason" "$got" "$tag: task $i (${KINDS[$i]}) state and reason" ;;
		esac
	done
}

for round in $(seq 1 "$ROUNDS"); do
	# ---- natural end: only the tasks that end by themselves
	setup_case "natural$round" $ENDERS
	t0=$(now_us)
	supervise -j 3 --grace "$GRACE" -n "$RUN" -L "$LOG" "$TASKS" 2>"$SANDBOX/err.natural"
	st=$?
	tick=$(rel_tick)
	took=$(ms_since "$t0")
	REL_RUNS=$((REL_RUNS + 1))
	assert_eq 0 "$st" "natural: exit status ($(head -c 300 "$SANDBOX/err.natural"))"
	assert_le "$took" 10000 "natural: the run took $took ms; it must not wait for what the tasks left (sleep 30)"
	rel_verify natural "$RUN" "$LOG" "$NT" all-completed
	rel_assert_none_left natural "$RUN" 1 "$tick" "$PD"/*

	# ---- --timeout 1 --grace 1
	setup_case "timeout$round" $FIGHTERS $ENDERS
	t0=$(now_us)
	supervise -j "$NT" --timeout 1 --grace "$GRACE" -n "$RUN" -L "$LOG" "$TASKS" 2>"$SANDBOX/err.timeout"
	st=$?
	tick=$(rel_tick)
	took=$(ms_since "$t0")
	REL_RUNS=$((REL_RUNS + 1))
	assert_eq 1 "$st" "timeout: exit status"
	assert_le "$took" 8000 "timeout: the run took $took ms (timeout 1 + grace 1)"
	rel_verify timeout "$RUN" "$LOG" "$NT" any
	expect_states timeout INTERRUPTED timeout
	rel_assert_none_left timeout "$RUN" 1 "$tick" "$PD"/*

	# ---- SIGTERM to the supervisor once everything runs
	setup_case "sigterm$round" $FIGHTERS $ENDERS
	start_bg -j "$NT" --grace "$GRACE" -n "$RUN" -L "$LOG" "$TASKS" 2>"$SANDBOX/err.sigterm"
	wait_for all_started 20 || fail "sigterm: not every task started within 20 s"
	wait_for enders_settled 20 || fail "sigterm: the enders did not all end within 20 s"
	kill -TERM "$SUP_PID"
	REL_KILLS=$((REL_KILLS + 1))
	t0=$(now_us)
	wait_exit "$SUP_PID" 15
	tick=$(rel_tick)
	took=$(ms_since "$t0")
	REL_RUNS=$((REL_RUNS + 1))
	assert_eq 143 "$EXIT_STATUS" "sigterm: exit status"
	assert_le "$took" $((GRACE * 1000 + 3000)) "sigterm: the supervisor took $took ms to exit after SIGTERM (grace $GRACE s)"
	rel_verify sigterm "$RUN" "$LOG" "$NT" any
	expect_states sigterm INTERRUPTED shutdown
	rel_assert_none_left sigterm "$RUN" 1 "$tick" "$PD"/*

	# ---- SIGKILL to the supervisor once everything runs
	setup_case "sigkill$round" $FIGHTERS $ENDERS
	start_bg -j "$NT" --grace "$GRACE" -n "$RUN" -L "$LOG" "$TASKS" 2>"$SANDBOX/err.sigkill"
	wait_for all_started 20 || fail "sigkill: not every task started within 20 s"
	wait_for enders_settled 20 || fail "sigkill: the enders did not all end within 20 s"
	rel_workers "$SUP_PID" >"$SANDBOX/workers.sigkill"
	{
		kill -KILL "$SUP_PID"
		t0=$(now_us)
		wait "$SUP_PID"
	} 2>/dev/null
	tick=$(rel_tick)
	REL_RUNS=$((REL_RUNS + 1))
	REL_KILLS=$((REL_KILLS + 1))
	if wait_for "[ -z \"\$(rel_survivors '$RUN' '$tick' '$SANDBOX/workers.sigkill' '$PD'/*)\" ]" $((GRACE + 1)); then
		note "sigkill: everything gone $(ms_since "$t0") ms after SIGKILL to the supervisor"
	else
		left=$(rel_survivors "$RUN" "$tick" "$SANDBOX/workers.sigkill" "$PD"/*)
		fail "sigkill: $(echo $left | wc -w) process(es) alive $((GRACE + 1)) s (grace + 1) after SIGKILL to the supervisor: $(describe_pids $left)"
		REL_LEFT=$((REL_LEFT + $(echo $left | wc -w)))
		wait_for "[ -z \"\$(rel_survivors '$RUN' '$tick' '$SANDBOX/workers.sigkill' '$PD'/*)\" ]" 10 &&
			note "sigkill: (they did go, $(ms_since "$t0") ms after SIGKILL)"
	fi
	for i in $(seq 1 "$NT"); do
		case " $FIGHTERS " in
		*" ${KINDS[$i]} "*)
			assert_eq "RUNNING INTERRUPTED" "$(states "$LOG" "$i")" "sigkill: task $i (${KINDS[$i]}) states"
			assert_eq supervisor-lost "$(events "$LOG" "$i" | awk '$3 == "INTERRUPTED" { print $4 }')" "sigkill: task $i (${KINDS[$i]}) reason" ;;
		esac
	done

	# ---- SIGKILL to every worker once everything runs
	setup_case "wkill$round" $FIGHTERS $ENDERS
	start_bg -j "$NT" --grace "$GRACE" -n "$RUN" -L "$LOG" "$TASKS" 2>"$SANDBOX/err.wkill"
	wait_for all_started 20 || fail "wkill: not every task started within 20 s"
	# (at most one worker per fighter: that there is one each is checked below)
	wait_for enders_settled 20 || fail "wkill: the enders did not all end within 20 s"
	ws=$(rel_workers "$SUP_PID")
	nw=$(echo $ws | wc -w)
	assert_eq "$NFIGHTERS" "$nw" "wkill: workers alive (one per fighter; the enders' are done)"
	kill -KILL $ws
	REL_KILLS=$((REL_KILLS + nw))
	wait_exit "$SUP_PID" 15
	tick=$(rel_tick)
	REL_RUNS=$((REL_RUNS + 1))
	assert_eq 1 "$EXIT_STATUS" "wkill: exit status"
	rel_verify wkill "$RUN" "$LOG" "$NT" any
	expect_states wkill FAILED worker-lost
	rel_assert_none_left wkill "$RUN" 1 "$tick" "$PD"/*
done
