#!/bin/bash
# parallel.sh: GNU parallel's job logs work both ways, with the real
# parallel from Debian (skipped, exit 77, when it is not installed).
#  - oneshot --resume / --resume-failed read a job log parallel --joblog
#    wrote (its nine columns: COMPLETED when Exitval and Signal are 0,
#    FAILED otherwise; matched by Seq and Command), run exactly what
#    parallel would run again, and append in parallel's own layout;
#    parallel --resume-failed then reads the file back and reruns only
#    what still failed.
#  - parallel --resume-failed reads oneshot's job log (a task INTERRUPTED
#    by a stop is run again) and appends its nine columns to it; oneshot
#    --resume reads that mixed file: a task parallel completed is not run
#    again, one that still failed is run again only with --resume-failed.
#  - a parallel job log of another task list is refused, naming the line.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"

command -v parallel >/dev/null 2>&1 || skip "GNU parallel is not installed (Debian: parallel)"
parallel --version 2>/dev/null | grep -q '^GNU parallel' || skip "parallel is not GNU parallel"

PARALLEL_HEADER=$(printf 'Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand')
runs="$SANDBOX/runs"
GO="$SANDBOX/go"
cat >"$SANDBOX/tasks" <<EOT
echo one >>$runs
echo two >>$runs; test -e $GO || exit 3
echo three >>$runs; test -e $GO || sleep 60
echo four >>$runs
EOT

# seq:Exitval of each line after the header, in file order
lines() {
	awk -F '\t' 'NR > 1 { printf "%s%s:%s", sep, $1, $7; sep = " " }' "$1"
}
# the words task lines wrote to $runs since it was emptied, sorted
ran() {
	sort "$runs" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'
}

# ------------------------------------------- parallel first, then oneshot
new_run from-parallel
mkdir -p "$LOG" && chmod 700 "$LOG"
# task 3 waits: a TERM from timeout stops parallel with 3 unfinished
( cd "$SANDBOX" && timeout -s TERM 3 parallel --joblog "$LOG/joblog" -j 4 <"$SANDBOX/tasks" >/dev/null 2>&1 ) &
ppid=$!
wait_for "grep -q three $runs 2>/dev/null && [ \$(wc -l <'$LOG/joblog') -ge 4 ]" 20 ||
	fail "parallel: tasks 1, 2 and 4 did not end, 3 did not start: [$(cat "$LOG/joblog" 2>/dev/null)]"
wait "$ppid"
assert_eq "$PARALLEL_HEADER" "$(head -n 1 "$LOG/joblog")" "parallel's job log header"
assert_eq "1:0 2:3 4:0" "$(printf '%s\n' $(lines "$LOG/joblog") | sort | tr '\n' ' ' | sed 's/ $//')" \
	"parallel's job log: 1 and 4 done, 2 failed, 3 not finished"

: >"$runs"
touch "$GO"
supervise -n "$RUN" -L "$LOG" --resume "$SANDBOX/tasks" 2>"$SANDBOX/err1"
assert_eq 1 "$?" "oneshot --resume of parallel's log: status (task 2 failed there)"
assert_eq "three" "$(ran)" "oneshot --resume of parallel's log ran exactly task 3"
assert_eq "$PARALLEL_HEADER" "$(head -n 1 "$LOG/joblog")" "the header stays parallel's"
last=$(tail -n 1 "$LOG/joblog")
assert_eq 9 "$(awk -F '\t' '{ print NF }' <<<"$last")" "oneshot's line in parallel's log: nine columns"
assert_match "^3	:	[0-9]+\\.[0-9]{3}	 *[0-9]+\\.[0-9]{3}	0	[0-9]+	-?[0-9]+	[0-9]+	echo three" \
	"$last" "oneshot's line in parallel's layout"

: >"$runs"
supervise -n "$RUN" -L "$LOG" --resume-failed "$SANDBOX/tasks" 2>"$SANDBOX/err2"
assert_eq 0 "$?" "oneshot --resume-failed of parallel's log: status"
assert_eq "two" "$(ran)" "oneshot --resume-failed reran exactly the failed task 2"

# parallel reads the file back: nothing failed any more, nothing to run
: >"$runs"
( cd "$SANDBOX" && parallel --joblog "$LOG/joblog" --resume-failed -j 4 <"$SANDBOX/tasks" >/dev/null 2>&1 )
assert_eq 0 "$?" "parallel --resume-failed of the log oneshot appended to: status"
assert_eq "" "$(ran)" "parallel --resume-failed: nothing left to run"

# ------------------------------------------- oneshot first, then parallel
rm -f "$GO"
new_run from-oneshot
: >"$runs"
start_bg -j 4 --grace 1 -n "$RUN" -L "$LOG" "$SANDBOX/tasks" 2>"$SANDBOX/err3"
wait_for "grep -q three $runs 2>/dev/null && [ \$(joblog_count '$LOG') -ge 3 ]" 20 ||
	fail "oneshot: tasks 1, 2 and 4 did not end, 3 did not start"
kill -TERM "$SUP_PID"
wait_exit "$SUP_PID" 20
assert_eq 143 "$EXIT_STATUS" "oneshot stopped by SIGTERM"
assert_eq INTERRUPTED "$(joblog_col "$LOG" 3 State)" "oneshot: task 3 interrupted"

# parallel --resume-failed on oneshot's log: reruns 2 (failed) and 3
# (interrupted: Exitval -1, Signal 15), appends its nine columns
: >"$runs"
touch "$GO"
( cd "$SANDBOX" && parallel --joblog "$LOG/joblog" --resume-failed -j 4 <"$SANDBOX/tasks" >/dev/null 2>&1 )
assert_eq 0 "$?" "parallel --resume-failed of oneshot's log: status"
assert_eq "three two" "$(ran)" "parallel reran exactly the failed and the interrupted task"
assert_eq "$JOBLOG_HEADER" "$(head -n 1 "$LOG/joblog")" "the header stays oneshot's"
assert_eq "9 9" "$(tail -n 2 "$LOG/joblog" | awk -F '\t' '{ printf "%s%s", s, NF; s = " " }')" \
	"parallel appended its nine columns"

# oneshot --resume reads the mixed file: all done now, nothing to run
: >"$runs"
supervise -n "$RUN" -L "$LOG" --resume "$SANDBOX/tasks" 2>"$SANDBOX/err4"
assert_eq 0 "$?" "oneshot --resume of the mixed log: status [$(cat "$SANDBOX/err4")]"
assert_eq "" "$(ran)" "oneshot --resume of the mixed log: nothing run again"
assert_match "nothing to run: 4 task\\(s\\) already completed" "$(cat "$SANDBOX/err4")" \
	"oneshot --resume of the mixed log: what it says"

# a parallel log of another task list: refused, naming the line
new_run other
mkdir -p "$LOG" && chmod 700 "$LOG"
( cd "$SANDBOX" && parallel --joblog "$LOG/joblog" ::: 'echo other' >/dev/null 2>&1 )
supervise -n "$RUN" -L "$LOG" --resume "$SANDBOX/tasks" >/dev/null 2>"$SANDBOX/err5"
assert_eq 2 "$?" "a parallel log of another task list: status"
assert_match "joblog:2: task 1 was a different command" "$(cat "$SANDBOX/err5")" \
	"a parallel log of another task list: the message names the line"
