#!/bin/bash
# retries.sh: --retries and --retry-interrupted.  A FAILED task runs again up
# to N more times; every attempt has its own job-log line (Attempt column),
# transcript (ID.log, ID.2.log, ...) and retry event; the table and
# oneshot-ps show the attempt; INTERRUPTED tasks are retried only with
# --retry-interrupted and never when the whole run is stopped; a resumed run
# goes on counting attempts.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"


# "SEQ:STATE:ATTEMPT ..." of the job log for task SEQ (all tasks if empty)
attempts_of() {
	awk -F '\t' -v seq="${2:-}" 'NR > 1 && (seq == "" || $1 == seq) {
		printf "%s%s:%s:%s", sep, $1, $9, $10; sep = " " }' "$1/joblog"
}

# 1. Task 1 fails twice then succeeds, task 2 always fails, task 3 succeeds.
new_run basic
count="$SANDBOX/count"
cat >"$SANDBOX/tasks" <<EOT
n=\$(cat $count 2>/dev/null || echo 0); n=\$((n+1)); echo \$n >$count; echo "attempt \$n of task \$ONESHOT_TASK_ID"; [ \$n -ge 3 ]
echo always fails; exit 4
echo fine
EOT
supervise -j 2 --retries 2 --metrics "$SANDBOX/m.prom" -n "$RUN" -L "$LOG" "$SANDBOX/tasks" 2>"$SANDBOX/err1"
assert_eq 1 "$?" "a task that fails every attempt fails the run"
assert_eq "4 5" "$(awk -v run="$RUN" '$1 == "oneshot_task_retries_total{run=\"" run "\"}" { r = $2 }
	$1 == "oneshot_task_failures_total{run=\"" run "\"}" { f = $2 } END { print r, f }' "$SANDBOX/m.prom")" \
	"metrics: 4 retries, 5 failed attempts"
assert_eq "1:FAILED:1 1:FAILED:2 1:COMPLETED:3" "$(attempts_of "$LOG" 1)" \
	"task 1: two failed attempts, then completed, one job-log line each"
assert_eq "2:FAILED:1 2:FAILED:2 2:FAILED:3" "$(attempts_of "$LOG" 2)" \
	"task 2: 1 + 2 retries, no more"
assert_eq "3:COMPLETED:1" "$(attempts_of "$LOG" 3)" "task 3: one attempt"
for a in 1 2 3; do
	f="$LOG/1.$a.log"
	[ "$a" = 1 ] && f="$LOG/1.log"
	assert_match "attempt $a of task 1" "$(cat "$f" 2>/dev/null)" "transcript of attempt $a kept in ${f##*/}"
done
assert_no_file "$LOG/3.2.log" "no second transcript for a task that completed at once"
assert_eq "FAILED CREATED FAILED CREATED" \
	"$(events "$LOG" 1 | awk '$1 == "retry" || $1 == "fail" { printf "%s%s", sep, $3; sep = " " }')" \
	"events: fail and retry alternate for task 1"
assert_eq 4 "$(json_get "$LOG/summary.json" retried)" "summary.json counts 4 retries"
assert_eq "2 1" "$(json_get "$LOG/summary.json" counts.completed) $(json_get "$LOG/summary.json" counts.failed)" \
	"summary counts final states only"
assert_match "4 retries" "$(cat "$SANDBOX/err1")" "the end-of-run line counts the retries"
assert_match "task 2 FAILED \\(exit 4, attempt 3\\)" "$(cat "$SANDBOX/err1")" \
	"the failure list names the attempt"
json=$("$PS" -n "$RUN" --json)
assert_eq "2 3 3 1" "$(printf '%s' "$json" | "$PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
print(d["run"]["retries"], *[t["attempt"] for t in d["tasks"]])')" "oneshot-ps --json: retries and each task's attempt"
assert_match "^ *2 FAILED +3/3 " "$("$PS" -n "$RUN" | awk '$1 == 2')" "oneshot-ps shows attempt/attempts in TRY"

# 2. --resume-failed goes on counting: task 2 runs as attempts 4 and 5.
supervise -j 2 --retries 1 --resume-failed -n "$RUN" -L "$LOG" "$SANDBOX/tasks" 2>/dev/null
assert_eq 1 "$?" "resumed run: task 2 still fails"
assert_eq "2:FAILED:1 2:FAILED:2 2:FAILED:3 2:FAILED:4 2:FAILED:5" "$(attempts_of "$LOG" 2)" \
	"resumed run: attempts 4 and 5 of task 2"
assert_file "$LOG/2.5.log" "resumed run: transcripts do not overwrite the earlier ones"
assert_match "always fails" "$(cat "$LOG/2.log")" "attempt 1's transcript is still there"

# --tail tags each attempt as its transcript is named.
new_run tail
printf 'echo "out of $ONESHOT_TASK_ID"; exit 1\n' >"$SANDBOX/tailt"
supervise --retries 2 --tail -n "$RUN" -L "$LOG" "$SANDBOX/tailt" >"$SANDBOX/tail.out" 2>/dev/null
assert_eq 1 "$?" "--tail with retries: the task fails"
assert_eq "[1] out of 1|[1.2] out of 1|[1.3] out of 1" "$(paste -sd '|' "$SANDBOX/tail.out")" \
	"--tail: [ID], then [ID.N] for attempt N"

# 3. INTERRUPTED by --timeout: not retried without --retry-interrupted ...
new_run timeout
printf 'sleep 30\n' >"$SANDBOX/slow"
supervise --timeout 0.3 --grace 0.2 --retries 2 -n "$RUN" -L "$LOG" "$SANDBOX/slow" 2>/dev/null
assert_eq 1 "$?" "timed-out task: run fails"
assert_eq "1:INTERRUPTED:1" "$(attempts_of "$LOG")" "--retries alone: an interrupted task is not retried"
# ... and retried with it.
new_run timeout2
supervise --timeout 0.3 --grace 0.2 --retries 2 --retry-interrupted -n "$RUN" -L "$LOG" "$SANDBOX/slow" 2>/dev/null
assert_eq 1 "$?" "timed out three times: run fails"
assert_eq "1:INTERRUPTED:1 1:INTERRUPTED:2 1:INTERRUPTED:3" "$(attempts_of "$LOG")" \
	"--retry-interrupted: timeouts retried up to --retries"
assert_eq "timeout timeout timeout" "$(events "$LOG" 1 | awk '$1 == "interrupt" { printf "%s%s", sep, $4; sep = " " }')" \
	"each attempt interrupted for its own timeout"

# 4. Stopping the run is never retried, not even with --retry-interrupted;
#    a FAILED task whose retry had not started ends FAILED, not CREATED.
new_run stop
cat >"$SANDBOX/stop" <<EOT
echo started >$SANDBOX/started; sleep 30
EOT
start_bg --grace 1 --retries 3 --retry-interrupted -n "$RUN" -L "$LOG" "$SANDBOX/stop" 2>/dev/null
wait_for "test -e $SANDBOX/started" 20 || fail "task never started"
kill -TERM "$SUP_PID"
wait_exit "$SUP_PID" 20
assert_eq 143 "$EXIT_STATUS" "stopped run: 128+SIGTERM"
assert_eq "1:INTERRUPTED:1" "$(attempts_of "$LOG")" "shutdown: no retry"

# 5. The cap holds across retries: -j 1, every attempt fails; no two
#    attempts ever overlap.
new_run cap
spans="$SANDBOX/spans"
for i in 1 2 3; do
	echo "echo \"b \$ONESHOT_TASK_ID\" >>$spans; sleep 0.05; echo \"e \$ONESHOT_TASK_ID\" >>$spans; exit 1"
done >"$SANDBOX/capt"
supervise -j 1 --retries 2 -n "$RUN" -L "$LOG" "$SANDBOX/capt" 2>/dev/null
assert_eq 1 "$?" "-j 1: run fails"
assert_eq 9 "$(joblog_count "$LOG")" "-j 1: 3 tasks x 3 attempts logged"
assert_eq "" "$(awk '{ if ($1 == "b") { if (open) print "overlap at line " NR; open = 1 } else open = 0 }' "$spans")" \
	"-j 1: attempts never overlap"

# 6. Bad values are refused before anything starts.
new_run bad
supervise --retries x -n "$RUN" -L "$LOG" "$SANDBOX/tasks" 2>"$SANDBOX/err6"
assert_eq 2 "$?" "--retries x: usage error"
assert_match "--retries: expected a whole number from 0 to 1000, got 'x'" "$(cat "$SANDBOX/err6")" \
	"--retries x: says what it wants"
supervise --retries 1001 -n "$RUN" -L "$LOG" "$SANDBOX/tasks" 2>/dev/null
assert_eq 2 "$?" "--retries 1001: usage error"
assert_no_file "$LOG/joblog" "refused run: no job log"
assert_no_file "$SHM" "refused run: no table"
