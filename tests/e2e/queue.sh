#!/bin/bash
# queue.sh: queue runs (oneshotd-supervise --queue, oneshot-ctl add/close),
# against real runs.
#  - a detached queue (-d -j 2): add prints the new ids one per line (1 2 3
#    one at a time, the words of one add joined by single spaces), add - 4..13
#    from a heredoc (a comment and a blank line skipped, a trailing CR
#    dropped), add --json {"id":14}; oneshot-ps --wait=30 ID answers for a
#    queued task (0 completed, 1 for an 'exit 3'); after close the run goes on
#    until every accepted task ended, close again is 0, then the supervisor
#    exits with the batch's status: 0 all completed (oneshot-ps --wait,
#    exit_status), 1 a task failed (the real exit status of a supervisor not
#    detached); the job log has every task exactly once with its command,
#    LOGDIR/queue every accepted one as ID<TAB>COMMAND (a TASKFILE's tasks
#    as 1..K), each task ran once;
#  - add - with a NUL byte or a line over 131071 bytes among good lines: exit
#    2, "<stdin>:LINE:" naming the physical line, nothing printed or added, the
#    next add gets the next id; add to a closed queue, to a batch run (not a
#    queue) and to a stopped run: exit 1 with a one-line message;
#  - --queue-size 0 or 1000001, --queue --resume with a TASKFILE: exit 2;
#  - SIGKILL to the supervisor right after an add returns (the tasks before it
#    held RUNNING on a gate, one COMPLETED before): the added task is in
#    LOGDIR/queue; oneshotd-supervise --queue --resume -L LOGDIR -d runs the
#    unfinished tasks (the one just added too) under their ids, not the
#    COMPLETED one (a side-effect file counts runs), a new add gets the next
#    id above the old ones, no id is in the job log with another command;
#  - --queue-size 4 -j 2: the fifth add while 4 tasks are unfinished is exit
#    75 with nothing added; slots of finished tasks are reused: after 10 tasks
#    oneshot-ps -n NAME lists at most 4 (the newest), its header counts 10,
#    and task 1 (slot reused) still answers from the job log: --json 1 says
#    COMPLETED, --wait 1 exits 0;
#  - SIGTERM stops a queue as a batch: the run is done with exit status 143
#    (oneshot-ps --wait too).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/ps-lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/ctl-lib.sh"

# words TEXT: TEXT's lines joined by single spaces
words() {
	printf '%s' "$1" | tr '\n' ' ' | sed 's/ $//'
}

# rows: the ID column of the last ps_run's human output
rows() {
	awk 'NR > 2 { print $1 }' "$SANDBOX/ps.out" | tr '\n' ' ' | sed 's/ $//'
}

# run_field NAME FIELD: FIELD of the run object of oneshot-ps -n NAME --json
run_field() {
	psx -n "$1" --json 2>/dev/null | "$PYTHON" -c '
import json, sys
print(json.load(sys.stdin)["run"].get(sys.argv[1], "MISSING"))' "$2" 2>/dev/null
}

# last_states LOGDIR: "SEQ:STATE" of the last job-log line of each task, in
# task order
last_states() {
	awk -F '\t' 'NR > 1 { st[$1] = $9 } END { for (s in st) print s ":" st[s] }' "$1/joblog" 2>/dev/null |
		sort -n | tr '\n' ' ' | sed 's/ $//'
}

# seq_counts LOGDIR: "SEQ:N" for each task of the job log (N lines), task order
seq_counts() {
	awk -F '\t' 'NR > 1 { n[$1]++ } END { for (s in n) print s ":" n[s] }' "$1/joblog" 2>/dev/null |
		sort -n | tr '\n' ' ' | sed 's/ $//'
}

# joblog_vs_queue LOGDIR: job-log lines whose command is not the one
# LOGDIR/queue has for their task id (or whose id it does not have), one per
# line; ids LOGDIR/queue holds twice, too
joblog_vs_queue() {
	awk -F '\t' '
		FNR == NR { if ($1 in cmd) print "queue: id " $1 " twice"; cmd[$1] = substr($0, length($1) + 2); next }
		FNR == 1 { for (i = 1; i <= NF; i++) idx[$i] = i; next }
		!($1 in cmd) { print "joblog: task " $1 " is not in the queue file"; next }
		$(idx["Command"]) != cmd[$1] { print "joblog: task " $1 " ran [" $(idx["Command"]) "], the queue file has [" cmd[$1] "]" }
	' "$1/queue" "$1/joblog" 2>&1
}

# started NAME ID: task ID of run NAME is RUNNING or IDLE
started() {
	case $(task_field "$1" "$2" state) in
	RUNNING | IDLE) return 0 ;;
	esac
	return 1
}

# wait_started NAME ID SEC: wait until task ID of run NAME is RUNNING or IDLE
wait_started() {
	wait_for "started $1 $2" $(($3 * SLOW)) ||
		fail "task $2 of $1: still $(task_field "$1" "$2" state) after $(($3 * SLOW)) s, not RUNNING or IDLE"
}

# run_dead NAME: no process of run NAME holds its table any more
run_dead() {
	psx -n "$1" --json 2>/dev/null | grep -q '"alive":false'
}

# count WORD FILE: lines of FILE that are exactly WORD
count() {
	if [ -f "$2" ]; then
		grep -cx -- "$1" "$2"
	else
		echo 0
	fi
}

# runs_of FILE WORD...: how many lines of FILE each WORD is, space separated
runs_of() {
	local f=$1 w out=
	shift
	for w in "$@"; do
		out="$out${out:+ }$(count "$w" "$f")"
	done
	echo "$out"
}

# ==========================================================================
# 1. A detached queue, -j 2: ids of add, add -, add --json; --wait ID; close;
#    the run's status 0; job log and LOGDIR/queue.
new_run all
A="$SANDBOX/all.runs"
GA="$SANDBOX/gate.all"
gate_close "$GA"
detach --queue -j 2 -n "$RUN" -L "$LOG"
assert_eq True "$(run_field "$RUN" alive)" "a queue with no task file runs"

ctl -n "$RUN" add -- "echo 1 >>'$A'"
assert_eq "0 1" "$CTL_RC $CTL_OUT" "first add: exit status and id ($CTL_ERR)"
ctl -n "$RUN" add echo 2 ">>'$A'"
assert_eq "0 2" "$CTL_RC $CTL_OUT" "second add (three words): exit status and id ($CTL_ERR)"
ctl -n "$RUN" add -- "echo 3 >>'$A'"
assert_eq "0 3" "$CTL_RC $CTL_OUT" "third add: exit status and id ($CTL_ERR)"

CR=$'\r'
ctl -n "$RUN" add - <<EOF
echo 4 >>'$A'
# a comment: no task

echo 5 >>'$A'
echo 6 >>'$A'
echo 7 >>'$A'
echo 8 >>'$A'
echo 9 >>'$A'
echo 10 >>'$A'
echo 11 >>'$A'
echo 12 >>'$A'
echo 13 >>'$A'$CR
EOF
assert_eq 0 "$CTL_RC" "add - of ten lines: exit status ($CTL_ERR)"
assert_eq "4 5 6 7 8 9 10 11 12 13" "$(words "$CTL_OUT")" "add - printed ids 4..13"
assert_eq 10 "$(printf '%s\n' "$CTL_OUT" | wc -l | tr -d ' ')" "add - printed one id per line"

ctl -n "$RUN" add --json -- "echo 14 >>'$A'; $(gate_wait "$GA")"
assert_eq 0 "$CTL_RC" "add --json: exit status ($CTL_ERR)"
assert_match '^\{ *"id" *: *14 *\}$' "$CTL_OUT" "add --json prints {\"id\":14}"

ps_run -n "$RUN" --wait=30 5
assert_eq 0 "$PS_RC" "oneshot-ps --wait=30 5: a completed queued task ($PS_ERR)"
assert_eq COMPLETED "$(task_field "$RUN" 5 state)" "task 5 is COMPLETED"

ps_run -n "$RUN"
assert_match "^run $RUN  supervisor $SUP_PID  alive.*  tasks 14: " "$(sed -n 1p "$SANDBOX/ps.out")" \
	"the header counts the 14 tasks"

{
	for i in $(seq 1 14); do
		case $i in
		14) printf '%s\t%s\n' "$i" "echo 14 >>'$A'; $(gate_wait "$GA")" ;;
		*) printf '%s\t%s\n' "$i" "echo $i >>'$A'" ;;
		esac
	done
} >"$SANDBOX/all.queue"
assert_eq "$(cat "$SANDBOX/all.queue")" "$(cat "$LOG/queue" 2>&1)" \
	"LOGDIR/queue: ID<TAB>COMMAND of every accepted task (words joined, CR dropped)"

# closed while task 14 waits on its gate: the run goes on until it ends
ctl -n "$RUN" close
assert_eq 0 "$CTL_RC" "close: exit status ($CTL_ERR)"
wait_started "$RUN" 14 10
proc_alive "$SUP_PID" || fail "the supervisor ended at close although task 14 had not"
ctl -n "$RUN" close
assert_eq 0 "$CTL_RC" "close of a closed queue: exit status ($CTL_ERR)"
ctl -n "$RUN" add -- true
assert_eq 1 "$CTL_RC" "add to a closed queue: exit status"
assert_eq "" "$CTL_OUT" "add to a closed queue prints no id"
assert_match "queue is closed" "$CTL_ERR" "add to a closed queue: message"
assert_eq 1 "$(printf '%s\n' "$CTL_ERR" | wc -l | tr -d ' ')" "add to a closed queue: one line"
gate_open "$GA"
wait_gone "$SUP_PID" 30
ps_run -n "$RUN" --wait
assert_eq 0 "$PS_RC" "every task completed: the run's status is 0 (oneshot-ps --wait)"
assert_eq "done 0" "$(run_field "$RUN" state) $(run_field "$RUN" exit_status)" "run state and exit_status"
assert_eq 14 "$(joblog_count "$LOG")" "the job log has 14 tasks"
assert_eq "$(for i in $(seq 1 14); do printf '%s:COMPLETED ' "$i"; done | sed 's/ $//')" \
	"$(last_states "$LOG")" "the job log: every task COMPLETED"
assert_eq "$(for i in $(seq 1 14); do printf '%s:1 ' "$i"; done | sed 's/ $//')" \
	"$(seq_counts "$LOG")" "the job log: every task exactly once"
assert_eq "" "$(joblog_vs_queue "$LOG")" "the job log's commands are LOGDIR/queue's"
assert_eq "$(seq 1 14)" "$(sort -n "$A")" "every task ran exactly once"

# ==========================================================================
# 2. A queue not detached, with a task file: an 'exit 3' task (--wait 1),
#    bad add - lines, close, add after close; its own exit status 1.
new_run fail
B="$SANDBOX/fail.runs"
GB="$SANDBOX/gate.fail"
gate_close "$GB"
printf '%s\n' 'exit 3' >"$SANDBOX/fail.tasks"
start_bg --queue -j 2 -n "$RUN" -L "$LOG" "$SANDBOX/fail.tasks" \
	</dev/null >"$SANDBOX/fail.out" 2>"$SANDBOX/fail.err"
wait_table "$RUN" "$SUP_PID" 10
ps_run -n "$RUN" --wait=30 1
assert_eq 1 "$PS_RC" "oneshot-ps --wait=30 1: a failed queued task (the task file's 'exit 3') ($PS_ERR)"
ctl -n "$RUN" add -- "echo 2 >>'$B'; $(gate_wait "$GB")"
assert_eq "0 2" "$CTL_RC $CTL_OUT" "the first add after a one-task file gets id 2 ($CTL_ERR)"
wait_started "$RUN" 2 10

# a NUL byte in line 3 (after a comment): nothing added
printf 'echo bad1 >>%s\n# a comment\necho a\0b >>%s\necho bad2 >>%s\n' "$B" "$B" "$B" >"$SANDBOX/nul.lines"
queue_before=$(cat "$LOG/queue" 2>&1)
ctl -n "$RUN" add - <"$SANDBOX/nul.lines"
assert_eq 2 "$CTL_RC" "add - with a NUL byte: exit status"
assert_eq "" "$CTL_OUT" "add - with a NUL byte prints no id"
assert_match "^oneshot-ctl: .*<stdin>:3: NUL byte" "$CTL_ERR" "add - with a NUL byte: message names line 3"
assert_eq 1 "$(printf '%s\n' "$CTL_ERR" | wc -l | tr -d ' ')" "add - with a NUL byte: one line"
# a line of 131072 bytes (line 2)
{
	echo "echo bad3 >>'$B'"
	head -c 131072 /dev/zero | tr '\0' x
	echo
} >"$SANDBOX/long.lines"
ctl -n "$RUN" add - <"$SANDBOX/long.lines"
assert_eq 2 "$CTL_RC" "add - with a line over 131071 bytes: exit status"
assert_eq "" "$CTL_OUT" "add - with a long line prints no id"
assert_match "^oneshot-ctl: .*<stdin>:2: " "$CTL_ERR" "add - with a long line: message names line 2"
assert_eq "$queue_before" "$(cat "$LOG/queue" 2>&1)" "the refused add - left LOGDIR/queue as it was"
assert_eq 2 "$(run_field "$RUN" total)" "the refused add - added no task"
ctl -n "$RUN" add -- "echo 3 >>'$B'"
assert_eq "0 3" "$CTL_RC $CTL_OUT" "the next add gets the next id ($CTL_ERR)"

ctl -n "$RUN" close
assert_eq 0 "$CTL_RC" "close: exit status ($CTL_ERR)"
ctl -n "$RUN" add -- "echo late >>'$B'"
assert_eq 1 "$CTL_RC" "add to a closed queue (not detached): exit status"
assert_match "queue is closed" "$CTL_ERR" "add to a closed queue: message"
proc_alive "$SUP_PID" || fail "the supervisor ended at close although task 2 had not"
gate_open "$GB"
wait_exit "$SUP_PID" 30
assert_eq 1 "$EXIT_STATUS" "a task failed: the supervisor exits 1"
assert_eq "1:FAILED 2:COMPLETED 3:COMPLETED" "$(last_states "$LOG")" "the job log"
assert_eq "1:1 2:1 3:1" "$(seq_counts "$LOG")" "the job log: every task exactly once"
assert_eq "1 2 3" "$(cut -f1 "$LOG/queue" 2>&1 | tr '\n' ' ' | sed 's/ $//')" \
	"LOGDIR/queue has the task file's task and the added ones"
assert_eq "" "$(joblog_vs_queue "$LOG")" "the job log's commands are LOGDIR/queue's"
assert_eq "2 3" "$(words "$(sort -n "$B")")" "tasks 2 and 3 ran once each, no refused line ran"
ps_run -n "$RUN" --wait
assert_eq 1 "$PS_RC" "oneshot-ps --wait: the run's status 1"

# ==========================================================================
# 3. add to a batch run (not a queue): exit 1, nothing added.
new_run batch
GC="$SANDBOX/gate.batch"
gate_close "$GC"
printf '%s\n' "$(gate_wait "$GC")" >"$SANDBOX/batch.tasks"
detach -n "$RUN" -L "$LOG" "$SANDBOX/batch.tasks"
wait_started "$RUN" 1 10
ctl -n "$RUN" add -- true
assert_eq 1 "$CTL_RC" "add to a batch run: exit status"
assert_eq "" "$CTL_OUT" "add to a batch run prints no id"
assert_match "is not a queue" "$CTL_ERR" "add to a batch run: message"
assert_eq 1 "$(printf '%s\n' "$CTL_ERR" | wc -l | tr -d ' ')" "add to a batch run: one line"
assert_eq 1 "$(run_field "$RUN" total)" "nothing added to the batch run"
gate_open "$GC"
wait_gone "$SUP_PID" 30
ps_run -n "$RUN" --wait
assert_eq 0 "$PS_RC" "the batch run ends as before"

# usage: --queue-size out of range, --queue --resume with a task file
new_run usage
for n in 0 1000001; do
	SUPERVISE_LIMIT=5 supervise --queue --queue-size "$n" -n "$RUN" -L "$LOG" </dev/null >/dev/null 2>"$SANDBOX/usage.err"
	assert_eq 2 "$?" "--queue-size $n: exit status"
done
SUPERVISE_LIMIT=5 supervise --queue --resume -n "$RUN" -L "$LOG" "$SANDBOX/batch.tasks" </dev/null >/dev/null 2>"$SANDBOX/usage.err"
assert_eq 2 "$?" "--queue --resume with a task file: exit status"
assert_no_file "$SHM" "no run started by a usage error"

# ==========================================================================
# 4. SIGKILL right after an add; --queue --resume runs what had not
#    completed, under its ids, and never the COMPLETED task again.
new_run kill
K="$SANDBOX/kill.runs"
GK="$SANDBOX/gate.kill"
gate_close "$GK"
detach --queue -j 2 --grace 1 -n "$RUN" -L "$LOG"
ctl -n "$RUN" add -- "echo one >>'$K'"
assert_eq "0 1" "$CTL_RC $CTL_OUT" "kill: add 1 ($CTL_ERR)"
wait_for '[ "$(joblog_col "$LOG" 1 State)" = COMPLETED ]' 20 ||
	fail "task 1 not COMPLETED in the job log: [$(joblog_col "$LOG" 1 State)]"
ctl -n "$RUN" add -- "echo two >>'$K'; $(gate_wait "$GK")"
assert_eq "0 2" "$CTL_RC $CTL_OUT" "kill: add 2 ($CTL_ERR)"
ctl -n "$RUN" add -- "echo three >>'$K'; $(gate_wait "$GK")"
assert_eq "0 3" "$CTL_RC $CTL_OUT" "kill: add 3 ($CTL_ERR)"
wait_for '[ "$(runs_of "$K" two three)" = "1 1" ]' 20 ||
	fail "tasks 2 and 3 did not start: their runs [$(runs_of "$K" two three)]"
ctl -n "$RUN" add -- "echo four >>'$K'; $(gate_wait "$GK")"
kill -KILL "$SUP_PID"
assert_eq "0 4" "$CTL_RC $CTL_OUT" "kill: add 4, the last before the SIGKILL ($CTL_ERR)"
wait_gone "$SUP_PID" 10
assert_no_survivors "$RUN" 10
# the killed run's last worker (under a wrapper, slower to go) lets go of
# the table's lock: only then can a new supervisor take the name
wait_for "run_dead $RUN" $((10 * SLOW)) || fail "the killed run still holds its table"
assert_eq "4"$'\t'"echo four >>'$K'; $(gate_wait "$GK")" "$(sed -n 4p "$LOG/queue" 2>&1)" \
	"the task added just before the SIGKILL is in LOGDIR/queue"
assert_eq 0 "$(count four "$K")" "task 4 had not started before the SIGKILL (-j 2)"

old_pid=$SUP_PID
detach -n "$RUN" --queue --resume -L "$LOG" -j 3
[ "$SUP_PID" != "$old_pid" ] || fail "--resume printed the killed supervisor's pid"
ctl -n "$RUN" add -- "echo five >>'$K'"
assert_eq "0 5" "$CTL_RC $CTL_OUT" "the first add after --resume gets the id after the highest old one ($CTL_ERR)"
# -j 3: the unfinished 2, 3, 4 hold the tokens (on the gate), 5 waits
wait_for '[ "$(runs_of "$K" two three four)" = "2 2 1" ]' 20 ||
	fail "--resume did not start tasks 2, 3 (again) and 4 (the first time): their runs [$(runs_of "$K" two three four)]"
assert_eq 0 "$(count five "$K")" "task 5 waits for a token"
gate_open "$GK"
ps_run -n "$RUN" --wait=30 2 3 4 5
assert_eq 0 "$PS_RC" "the resumed tasks and the new one complete ($PS_ERR)"
ctl -n "$RUN" close
assert_eq 0 "$CTL_RC" "close of the resumed queue ($CTL_ERR)"
wait_gone "$SUP_PID" 30
ps_run -n "$RUN" --wait
assert_eq 0 "$PS_RC" "the resumed queue's status: 0 (task 1 skipped as COMPLETED)"
assert_eq "1 2 2 1 1" "$(runs_of "$K" one two three four five)" \
	"runs of tasks 1..5: task 1 once (not again after --resume), 2 and 3 twice, 4 and 5 once"
assert_eq "1:COMPLETED 2:COMPLETED 3:COMPLETED 4:COMPLETED 5:COMPLETED" "$(last_states "$LOG")" \
	"the job log: every task's last line COMPLETED"
assert_eq 1 "$(awk -F '\t' '$1 == 1' "$LOG/joblog" | wc -l | tr -d ' ')" "task 1 has one job-log line"
assert_eq "1 2 3 4 5" "$(cut -f1 "$LOG/queue" 2>&1 | tr '\n' ' ' | sed 's/ $//')" \
	"LOGDIR/queue: every id once"
assert_eq "" "$(joblog_vs_queue "$LOG")" "no id in the job log with another command"

# ==========================================================================
# 5. --queue-size 4 -j 2: queue full (75); slots reused; a reused task still
#    answers from the job log.
new_run size
S="$SANDBOX/size.runs"
GS="$SANDBOX/gate.size"
gate_close "$GS"
detach --queue --queue-size 4 -j 2 -n "$RUN" -L "$LOG"
for i in 1 2 3 4; do
	ctl -n "$RUN" add -- "echo $i >>'$S'; $(gate_wait "$GS")"
	assert_eq "0 $i" "$CTL_RC $CTL_OUT" "size: add $i ($CTL_ERR)"
done
ctl -n "$RUN" add -- "echo 5 >>'$S'"
assert_eq 75 "$CTL_RC" "add with 4 tasks unfinished under --queue-size 4: exit status"
assert_eq "" "$CTL_OUT" "queue full: no id printed"
assert_match "full" "$CTL_ERR" "queue full: message"
assert_eq 4 "$(run_field "$RUN" total)" "queue full: nothing added"
gate_open "$GS"
ps_run -n "$RUN" --wait=30 1 2 3 4
assert_eq 0 "$PS_RC" "tasks 1..4 complete ($PS_ERR)"
# their slots are free once the supervisor has reaped their workers and
# logged them (a moment after the COMPLETED that --wait saw)
wait_for '[ "$(joblog_count "$LOG")" -ge 4 ]' $((10 * SLOW)) || fail "tasks 1..4 not in the job log"
for i in 5 6 7 8; do
	ctl -n "$RUN" add -- "echo $i >>'$S'"
	assert_eq "0 $i" "$CTL_RC $CTL_OUT" "size: add $i into a finished task's slot ($CTL_ERR)"
done
ps_run -n "$RUN" --wait=30 5 6 7 8
assert_eq 0 "$PS_RC" "tasks 5..8 complete ($PS_ERR)"
wait_for '[ "$(joblog_count "$LOG")" -ge 8 ]' $((10 * SLOW)) || fail "tasks 5..8 not in the job log"
for i in 9 10; do
	ctl -n "$RUN" add -- "echo $i >>'$S'"
	assert_eq "0 $i" "$CTL_RC $CTL_OUT" "size: add $i ($CTL_ERR)"
done
ps_run -n "$RUN" --wait=30 9 10
assert_eq 0 "$PS_RC" "tasks 9 and 10 complete ($PS_ERR)"

ps_run -n "$RUN"
assert_eq 0 "$PS_RC" "oneshot-ps -n: exit status ($PS_ERR)"
assert_match "^run $RUN  supervisor $SUP_PID  alive.*  tasks 10: " "$(sed -n 1p "$SANDBOX/ps.out")" \
	"the header counts all 10 tasks accepted"
listed=$(rows)
assert_le "$(wc -w <<<"$listed")" 4 "oneshot-ps -n lists at most --queue-size tasks [$listed]"
assert_match '(^| )9 10$' "$listed" "the newest tasks are listed, in id order"
for i in $listed; do
	assert_le 5 "$i" "task $i listed: tasks 1..4's slots were reused"
done
ps_run -n "$RUN" --json 1
assert_eq 0 "$PS_RC" "oneshot-ps --json 1 (slot reused): exit status ($PS_ERR)"
assert_eq "1 COMPLETED" "$(pyjson "$SANDBOX/ps.out" '" ".join("%s %s" % (t["id"], t["state"]) for t in d["tasks"])')" \
	"oneshot-ps --json 1: task 1 COMPLETED, from the job log"
ps_run -n "$RUN" 1
assert_eq 0 "$PS_RC" "oneshot-ps -n NAME 1 (slot reused): exit status ($PS_ERR)"
assert_match '^ *1 +COMPLETED ' "$(sed -n 3p "$SANDBOX/ps.out")" "oneshot-ps -n NAME 1: its row"
ps_run -n "$RUN" --wait=5 1
assert_eq 0 "$PS_RC" "oneshot-ps --wait 1 (slot reused): 0 ($PS_ERR)"
ctl -n "$RUN" close
assert_eq 0 "$CTL_RC" "size: close ($CTL_ERR)"
wait_gone "$SUP_PID" 30
ps_run -n "$RUN" --wait
assert_eq 0 "$PS_RC" "size: the run's status 0"
assert_eq 10 "$(joblog_count "$LOG")" "size: 10 job-log lines"
assert_eq "$(seq 1 10)" "$(sort -n "$S")" "size: every task ran once"

# ==========================================================================
# 6. SIGTERM stops a queue as it stops a batch: exit status 143.
new_run term
GT="$SANDBOX/gate.term"
gate_close "$GT"
detach --queue -j 1 --grace 1 -n "$RUN" -L "$LOG"
ctl -n "$RUN" add -- "$(gate_wait "$GT")"
assert_eq "0 1" "$CTL_RC $CTL_OUT" "term: add ($CTL_ERR)"
wait_started "$RUN" 1 10
kill -TERM "$SUP_PID"
wait_gone "$SUP_PID" 20
assert_eq "done 143" "$(run_field "$RUN" state) $(run_field "$RUN" exit_status)" \
	"a SIGTERMed queue: state done, exit_status 143"
ps_run -n "$RUN" --wait
assert_eq 143 "$PS_RC" "oneshot-ps --wait on the SIGTERMed queue"
assert_eq INTERRUPTED "$(task_field "$RUN" 1 state)" "its running task was interrupted"
ctl -n "$RUN" add -- true
assert_eq 1 "$CTL_RC" "add to a stopped queue: exit status"
gate_open "$GT"
