#!/bin/bash
# cap.sh: the concurrency cap. Each task appends "start ID NS" when it begins
# and "end ID NS" when it is about to end; from those intervals: with -j 3 and
# 12 tasks never more than 3 overlap and 3 do overlap; -j 1 serializes; IDLE
# tasks keep their token (-j 2 with silent tasks never has 3 at once).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"

# max_overlap FILE: from "start ID NS"/"end ID NS" lines, the largest number of
# intervals open at once (an end at the same ns as a start closes first).
# Prints "ERR ..." when a task does not have exactly one start and one end
# after it.
max_overlap() {
	awk '
		$1 == "start" { s[$2]++; st[$2] = $3 }
		$1 == "end"   { e[$2]++; en[$2] = $3 }
		END {
			for (id in s) if (s[id] != 1 || e[id] != 1 || en[id] < st[id]) { print "ERR task " id; exit }
			for (id in e) if (!(id in s)) { print "ERR task " id; exit }
		}' "$1" | grep . && return
	# sort by time, ends (0) before starts (1) at equal times
	awk '{ print $3, ($1 == "start" ? 1 : 0) }' "$1" | sort -k1,1n -k2,2n |
		awk '$2 == 1 { n++; if (n > m) m = n } $2 == 0 { n-- } END { print m + 0 }'
}

# tasks_file FILE COUNT SLEEP RECORD: COUNT tasks recording into RECORD
tasks_file() {
	local i
	: >"$1"
	for i in $(seq "$2"); do
		printf '%s\n' "echo \"start \$ONESHOT_TASK_ID \$(date +%s%N)\" >>'$4'; sleep $3; echo \"end \$ONESHOT_TASK_ID \$(date +%s%N)\" >>'$4'" >>"$1"
	done
}

# ---- -j 3, 12 tasks
new_run j3
tasks_file "$SANDBOX/tasks.j3" 12 0.5 "$SANDBOX/rec.j3"
t0=$(now_us)
supervise -j 3 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.j3"
rc=$?
took=$(ms_since "$t0")
assert_eq 0 "$rc" "-j 3: exit status"
assert_eq 12 "$(grep -c '^start ' "$SANDBOX/rec.j3")" "-j 3: tasks started"
assert_eq 12 "$(grep -c '^end ' "$SANDBOX/rec.j3")" "-j 3: tasks ended"
assert_eq 12 "$(joblog_count "$LOG")" "-j 3: joblog lines"
m=$(max_overlap "$SANDBOX/rec.j3")
assert_eq 3 "$m" "-j 3: largest number of tasks running at once"
# 12 tasks of 0.5 s, 3 at a time: ~2 s; the next task starts when a token frees
assert_le "$took" $((8000 * SLOW)) "-j 3: 12 x 0.5 s tasks took ${took} ms (should be ~2000)"
note "-j 3: max overlap $m, took $took ms"

# ---- -j 1 serializes
new_run j1
tasks_file "$SANDBOX/tasks.j1" 4 0.2 "$SANDBOX/rec.j1"
supervise -j 1 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.j1"
rc=$?
assert_eq 0 "$rc" "-j 1: exit status"
assert_eq 4 "$(grep -c '^end ' "$SANDBOX/rec.j1")" "-j 1: tasks ended"
assert_eq 1 "$(max_overlap "$SANDBOX/rec.j1")" "-j 1: largest number of tasks running at once"

# ---- IDLE tasks hold their token: -j 2, silent tasks, --idle-after 0.1
new_run idle
tasks_file "$SANDBOX/tasks.idle" 6 0.6 "$SANDBOX/rec.idle"
supervise -j 2 --idle-after 0.1 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.idle"
rc=$?
assert_eq 0 "$rc" "-j 2 --idle-after 0.1: exit status"
assert_eq 6 "$(grep -c '^end ' "$SANDBOX/rec.idle")" "-j 2 idle: tasks ended"
assert_eq 2 "$(max_overlap "$SANDBOX/rec.idle")" "-j 2 with IDLE tasks: largest number of tasks running at once"
idles=0
for i in 1 2 3 4 5 6; do
	case " $(states "$LOG" $i) " in *" IDLE "*) idles=$((idles + 1)) ;; esac
done
assert_eq 6 "$idles" "-j 2 idle: tasks that went IDLE (silent 0.6 s with --idle-after 0.1)"

# ---- -j 4096 is accepted with more tasks than CPUs, all at once
new_run j4096
tasks_file "$SANDBOX/tasks.wide" 8 1 "$SANDBOX/rec.wide"
supervise -j 4096 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.wide"
rc=$?
assert_eq 0 "$rc" "-j 4096: exit status"
assert_eq 8 "$(max_overlap "$SANDBOX/rec.wide")" "-j 4096, 8 tasks of 1 s: largest number running at once"

assert_no_survivors "$RUN" 3
