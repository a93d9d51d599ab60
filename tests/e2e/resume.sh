#!/bin/bash
# resume.sh: --resume and --resume-failed go on from an earlier run's job
# log: they skip exactly the finished tasks, keep the task numbers, append to
# the job log, and refuse a job log that does not match the task list.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"

# seq/state pairs of the job log, "1:COMPLETED 2:FAILED ...", in file order
joblog_states() {
	awk -F '\t' 'NR > 1 { printf "%s%s:%s", sep, $1, $9; sep = " " }' "$1/joblog"
}

new_run base
runs="$SANDBOX/runs"
cat >"$SANDBOX/tasks" <<EOT
echo one >>$runs
exit 3
echo three >>$runs; test -e $SANDBOX/go || sleep 30
echo four >>$runs
# a comment: not a task
echo five >>$runs
EOT

# 1. A first run stopped by SIGTERM while task 3 waits: 1, 2 done; 3
#    INTERRUPTED; 4 and 5 never started.
start_bg -j 1 --grace 1 -n "$RUN" -L "$LOG" "$SANDBOX/tasks" 2>"$SANDBOX/err1"
wait_for "grep -q three $runs 2>/dev/null" 20 || fail "task 3 never started"
kill -TERM "$SUP_PID"
wait_exit "$SUP_PID" 20
assert_eq 143 "$EXIT_STATUS" "first run: stopped by SIGTERM"
assert_eq "1:COMPLETED 2:FAILED 3:INTERRUPTED" "$(joblog_states "$LOG")" "first run: job log"

# 2. --resume: runs 3 (interrupted), 4 and 5 (never started) under their own
#    numbers; skips 1 (COMPLETED) and 2 (FAILED); still exit 1 for task 2.
: >"$runs"
touch "$SANDBOX/go"
supervise -j 1 -n "$RUN" -L "$LOG" --resume "$SANDBOX/tasks" 2>"$SANDBOX/err2"
assert_eq 1 "$?" "--resume: a skipped FAILED task keeps the batch failed"
assert_eq "three four five" "$(tr '\n' ' ' <"$runs" | sed 's/ $//')" "--resume ran exactly 3, 4, 5"
assert_eq "1:COMPLETED 2:FAILED 3:INTERRUPTED 3:COMPLETED 4:COMPLETED 5:COMPLETED" \
	"$(joblog_states "$LOG")" "--resume appends to the job log with the original numbers"
assert_eq "$(head -1 "$LOG/joblog")" \
	"$JOBLOG_HEADER" \
	"job log keeps its one header"
assert_eq "1 1 3" "$(json_get "$LOG/summary.json" resumed.skipped_completed) \
$(json_get "$LOG/summary.json" resumed.skipped_failed) $(json_get "$LOG/summary.json" total)" \
	"summary: 1 skipped completed, 1 skipped failed, 3 run"
assert_file "$LOG/5.log" "transcript named by the task number"
ps_json=$("$PS" -n "$RUN" --json)
assert_eq "3 4 5" "$(printf '%s' "$ps_json" | "$PYTHON" -c \
	'import json,sys; print(" ".join(str(t["id"]) for t in json.load(sys.stdin)["tasks"]))')" \
	"oneshot-ps shows the resumed tasks under their numbers"

# 3. Nothing left for --resume: exit 1 (task 2 failed), nothing run.
: >"$runs"
supervise -n "$RUN" -L "$LOG" --resume "$SANDBOX/tasks" 2>"$SANDBOX/err3"
assert_eq 1 "$?" "--resume with nothing left: the batch's status"
assert_eq "" "$(cat "$runs")" "--resume with nothing left runs nothing"
assert_match "nothing to run" "$(cat "$SANDBOX/err3")" "--resume says there is nothing to run"

# 4. --resume-failed runs task 2 again, and only it.
sed -i 's/^exit 3$/exit 0/' "$SANDBOX/tasks"
supervise -n "$RUN" -L "$LOG" --resume-failed "$SANDBOX/tasks" 2>"$SANDBOX/err4"
assert_eq 2 "$?" "--resume-failed refuses a changed command (task 2)"
assert_match "joblog:3: task 2 was a different command" "$(cat "$SANDBOX/err4")" \
	"the refusal names the job-log line and the task"
assert_eq 1 "$(wc -l <"$SANDBOX/err4")" "one line of error"
sed -i 's/^exit 0$/exit 3/' "$SANDBOX/tasks"
sed -i 's/^exit 3$/test -e \/nonexistent || exit 3/' "$SANDBOX/tasks" # changed again
supervise -n "$RUN" -L "$LOG" --resume-failed "$SANDBOX/tasks" 2>/dev/null
assert_eq 2 "$?" "still refused after another change"
sed -i 's/^test -e \/nonexistent || exit 3$/exit 3/' "$SANDBOX/tasks"
before=$(joblog_count "$LOG")
supervise -n "$RUN" -L "$LOG" --resume-failed "$SANDBOX/tasks" 2>/dev/null
assert_eq 1 "$?" "--resume-failed: task 2 fails again"
assert_eq $((before + 1)) "$(joblog_count "$LOG")" "--resume-failed ran exactly one task"
assert_eq "2:FAILED" "$(joblog_states "$LOG" | tr ' ' '\n' | tail -1)" "and it was task 2"

# 5. No job log yet: --resume runs everything (a cron line can always say it).
new_run fresh
supervise -n "$RUN" -L "$LOG" --resume "$SANDBOX/tasks" 2>/dev/null
assert_eq 1 "$?" "--resume without a job log runs the whole list"
assert_eq 5 "$(joblog_count "$LOG")" "all five tasks ran"

# 6. A job log that is not oneshot's, or lists a task the file does not have.
new_run bad
mkdir -p "$LOG" && chmod 700 "$LOG"
printf 'not a header\n' >"$LOG/joblog"
supervise -n "$RUN" -L "$LOG" --resume "$SANDBOX/tasks" 2>"$SANDBOX/err6"
assert_eq 2 "$?" "--resume refuses a foreign job log"
assert_match "joblog:1: not a job log header \\(oneshot.s or GNU parallel.s\\)" "$(cat "$SANDBOX/err6")" "and says why"
assert_no_file "$SHM" "nothing started: no table"
printf 'Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tState\tAttempt\tCommand\n9\t:\t0\t0\t0\t0\t0\t0\tCOMPLETED\t1\ttrue\n' >"$LOG/joblog"
supervise -n "$RUN" -L "$LOG" --resume "$SANDBOX/tasks" 2>"$SANDBOX/err7"
assert_eq 2 "$?" "--resume refuses a task number past the list"
assert_match "joblog:2: not a job-log line of this task list" "$(cat "$SANDBOX/err7")" "and says where"


# 7. A job log of the first layout (before the Reason column): read, and
#    appended to in its own layout, so that it stays one format.
new_run v1
printf 'true\nexit 3\n' >"$SANDBOX/tasks.v1"
mkdir -p "$LOG" && chmod 700 "$LOG"
printf 'Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tState\tAttempt\tCommand\n1\t:\t1\t1\t0\t0\t0\t0\tCOMPLETED\t1\ttrue\n2\t:\t1\t1\t0\t0\t-1\t15\tINTERRUPTED\t1\texit 3\n' \
	>"$LOG/joblog"
supervise -n "$RUN" -L "$LOG" --resume "$SANDBOX/tasks.v1" 2>/dev/null
assert_eq 1 "$?" "--resume over a first-layout job log runs the interrupted task"
assert_eq 3 "$(joblog_count "$LOG")" "one line appended"
assert_eq "" "$(awk -F '\t' 'NF != 11 { print NR ": " NF }' "$LOG/joblog")" \
	"every line in the first layout (11 fields)"
assert_eq "3 FAILED" "$(awk -F '\t' 'END { print $7, $9 }' "$LOG/joblog")" "the appended line"
