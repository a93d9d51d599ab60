#!/bin/bash
# timeout.sh: --timeout and --idle-timeout interrupt a task: its process group
# gets SIGTERM, then SIGKILL after --grace. A task that ignores SIGTERM ends
# INTERRUPTED (joblog: Exitval -1, Signal 9), events.jsonl reason "timeout" /
# "idle-timeout", after timeout+grace (not before, not much later), exit
# status 1, its process group gone and nothing of the run alive. A task that
# keeps printing is not hit by --idle-timeout; a short task is not hit by
# --timeout; --grace 0 works. When a task exits, what it left behind in its
# process group or orphaned (even in a new session) is killed.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"

# check_interrupted TAG REASON LIMIT_S GRACE_S: task 1 of run $RUN / $LOG, whose
# pid is in $SANDBOX/pid.TAG, was interrupted with REASON about LIMIT_S + GRACE_S
# after it started (it ignores SIGTERM).
check_interrupted() {
	local tag=$1 reason=$2 limit=$3 grace=$4 pid ev t_start t_int rt
	pid=$(cat "$SANDBOX/pid.$tag" 2>/dev/null)
	assert_match '^[0-9]+$' "$pid" "$tag: task 1 recorded its pid"
	assert_eq INTERRUPTED "$(joblog_col "$LOG" 1 State)" "$tag: task 1 State (joblog)"
	assert_eq -1 "$(joblog_col "$LOG" 1 Exitval)" "$tag: task 1 Exitval (killed by a signal)"
	assert_eq 9 "$(joblog_col "$LOG" 1 Signal)" "$tag: task 1 Signal (ignored SIGTERM, so SIGKILL after the grace)"
	assert_eq "RUNNING INTERRUPTED" "$(states "$LOG" 1 | sed 's/ IDLE//g')" "$tag: task 1 states"
	ev=$(events "$LOG" 1 | awk '$3 == "INTERRUPTED"')
	assert_eq "$reason" "$(awk '{ print $4 }' <<<"$ev")" "$tag: events.jsonl reason of task 1's INTERRUPTED"
	assert_eq interrupt "$(awk '{ print $1 }' <<<"$ev")" "$tag: events.jsonl event name"
	# JobRuntime: from start to the end of the task: limit + grace (+ slack)
	rt=$(joblog_col "$LOG" 1 JobRuntime)
	assert_match '^[0-9]+\.[0-9]{3}$' "$rt" "$tag: JobRuntime format"
	if [[ $rt =~ ^[0-9]+\.[0-9]{3}$ ]]; then
		assert_eq ok "$(awk -v r="$rt" -v l="$limit" -v g="$grace" 'BEGIN {
			if (r < l + g - 0.1) print "JobRuntime " r " < " l "+" g ": SIGKILL came before the grace ran out";
			else if (r > l + g + 3) print "JobRuntime " r " > " l "+" g "+3";
			else print "ok" }')" "$tag: task 1 run time"
	fi
	# the INTERRUPTED event is made when the interrupt starts (SIGTERM), about LIMIT after start
	t_start=$(events "$LOG" 1 | awk '$3 == "RUNNING" { print $5; exit }')
	t_int=$(awk '{ print $5 }' <<<"$ev")
	if [ -n "$t_start" ] && [ -n "$t_int" ]; then
		assert_eq ok "$(awk -v a="$t_start" -v b="$t_int" -v l="$limit" 'BEGIN {
			d = b - a; if (d < l - 0.05 || d > l + 2) print "INTERRUPTED " d " s after start, limit " l; else print "ok" }')" \
			"$tag: time of the interrupt"
	fi
	if [ -n "$pid" ]; then
		assert_group_gone "$pid" 3 "$tag: task 1's process group"
		assert_no_survivors "$RUN" 3 "$pid"
	fi
}

# ---- --timeout 1 --grace 1, task ignores SIGTERM; task 2 is quick and completes
new_run timeout
cat >"$SANDBOX/tasks.timeout" <<EOF
echo \$\$ >'$SANDBOX/pid.timeout'; trap '' TERM; sleep 30
echo quick; sleep 0.2
EOF
t0=$(now_us)
supervise -j 2 --timeout 1 --grace 1 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.timeout"
rc=$?
took=$(ms_since "$t0")
assert_eq 1 "$rc" "--timeout: exit status"
assert_eq COMPLETED "$(joblog_col "$LOG" 2 State)" "--timeout: task 2 (0.2 s) State"
assert_le 1900 "$took" "--timeout 1 --grace 1: the run took ${took} ms; must be at least timeout+grace"
assert_le "$took" $((6000 * SLOW)) "--timeout 1 --grace 1: the run took ${took} ms; should be about 2000"
check_interrupted timeout timeout 1 1

# ---- --idle-timeout 1 --grace 1, silent task ignoring SIGTERM (default
# --idle-after: the idle timeout does not depend on it); task 2 prints every
# 0.2 s for 2.5 s and must not be interrupted
new_run idle
cat >"$SANDBOX/tasks.idle" <<EOF
echo \$\$ >'$SANDBOX/pid.idle'; trap '' TERM; sleep 20
i=0; while [ \$i -lt 12 ]; do echo \$i; sleep 0.2; i=\$((i+1)); done
EOF
t0=$(now_us)
supervise -j 2 --idle-timeout 1 --grace 1 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.idle"
rc=$?
took=$(ms_since "$t0")
assert_eq 1 "$rc" "--idle-timeout: exit status"
assert_eq COMPLETED "$(joblog_col "$LOG" 2 State)" "--idle-timeout: task 2 (prints every 0.2 s for 2.4 s) State"
assert_le "$took" $((8000 * SLOW)) "--idle-timeout 1 --grace 1: the run took ${took} ms; should be about 2500"
check_interrupted idle idle-timeout 1 1

# ---- --grace 0: SIGTERM then SIGKILL at once; a TERM-respecting task under
# --timeout ends INTERRUPTED by SIGTERM
new_run grace0
cat >"$SANDBOX/tasks.g0" <<EOF
echo \$\$ >'$SANDBOX/pid.g0'; trap '' TERM; sleep 30
echo \$\$ >'$SANDBOX/pid.g0b'; sleep 30
EOF
t0=$(now_us)
supervise -j 2 --timeout 1 --grace 0 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.g0"
rc=$?
took=$(ms_since "$t0")
assert_eq 1 "$rc" "--grace 0: exit status"
assert_le "$took" $((5000 * SLOW)) "--timeout 1 --grace 0: the run took ${took} ms; should be about 1000"
assert_eq INTERRUPTED "$(joblog_col "$LOG" 1 State)" "--grace 0: task 1 State"
assert_eq INTERRUPTED "$(joblog_col "$LOG" 2 State)" "--grace 0: task 2 State"
assert_eq -1 "$(joblog_col "$LOG" 2 Exitval)" "--grace 0: task 2 Exitval"
assert_match '^(9|15)$' "$(joblog_col "$LOG" 2 Signal)" "--grace 0: task 2 Signal"
p1=$(cat "$SANDBOX/pid.g0" 2>/dev/null)
p2=$(cat "$SANDBOX/pid.g0b" 2>/dev/null)
assert_no_survivors "$RUN" 3 $p1 $p2

# ---- leftovers: when a task's main process exits, what it left in its process
# group and what it orphaned in a new session are killed; the task is still
# COMPLETED and the run does not wait for them
new_run left
cat >"$SANDBOX/tasks.left" <<EOF
sleep 30 & echo \$! >'$SANDBOX/left.bg'; setsid sleep 30 & echo \$! >'$SANDBOX/left.sid'; (sleep 30 & echo \$! >'$SANDBOX/left.dbl'); exit 0
EOF
t0=$(now_us)
supervise -n "$RUN" -L "$LOG" "$SANDBOX/tasks.left"
rc=$?
took=$(ms_since "$t0")
assert_eq 0 "$rc" "leftovers: exit status"
assert_eq COMPLETED "$(joblog_col "$LOG" 1 State)" "leftovers: task 1 State"
assert_le "$took" 8000 "leftovers: the run took ${took} ms; it must not wait for the task's leftovers (sleep 30)"
for f in bg sid dbl; do
	p=$(cat "$SANDBOX/left.$f" 2>/dev/null)
	if assert_match '^[0-9]+$' "$p" "leftovers: pid of the $f sleep"; then
		wait_for "! proc_alive $p" 3 ||
			fail "leftovers: the task's $f sleep ($p: $(describe_pids "$p")) is alive 3 s after the run ended"
	fi
done
assert_no_survivors "$RUN" 3
