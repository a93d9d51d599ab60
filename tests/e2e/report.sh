#!/bin/bash
# report.sh: what oneshotd-supervise tells the operator.
#  - Quiet on success: a run whose tasks all complete, stderr not a terminal,
#    writes nothing at all (stdout and stderr empty, exit 0), --progress or not.
#  - Otherwise a summary line and the failure list, exact format: the first
#    FAILED task with "exit N" or a signal name, the first INTERRUPTED one
#    with its reason, "N not started", commands cut to 70 characters with
#    control characters shown as '?', at most 10 tasks then "... and N more:
#    see LOGDIR/joblog".
#  - The live status line, only under a real terminal (util-linux script(1)
#    gives the supervisor a PTY; the screen is then rebuilt from what was
#    written): redrawn in place with "\r\e[K" and never a newline, at least
#    once a second and at most a few times a second, erased at the end, the
#    summary line the only thing left on the screen.  With stderr redirected
#    to a file (stdout still the terminal), or --no-progress, no status line.
#    Messages while it is shown (SIGUSR1, the SIGTERM warning) get lines of
#    their own.  A background job of an interactive shell draws no line.
#  - SIGUSR1 prints one status line on stderr without a terminal, and into
#    supervisor.log when detached.
#  - SIGHUP with --detach reopens supervisor.log (after a rename, the new
#    file gets what follows, the renamed one nothing more); attached, SIGHUP
#    is ignored.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"

PROG=oneshotd-supervise
# the duration at the end of a summary line
DUR='([0-9]+\.[0-9]s|[0-9]+s|[0-9]+m[0-9]{2}s|[0-9]+h[0-9]{2}m[0-9]{2}s)'

# summary_of FILE: FILE with the duration of summary lines replaced by T
summary_of() {
	sed -E "s/^($PROG: .* in )$DUR\$/\\1T/" "$1"
}

# cut70 STRING: STRING as a failure list shows a command (ASCII)
cut70() {
	if [ "${#1}" -gt 70 ]; then
		printf '%s...' "${1:0:67}"
	else
		printf '%s' "$1"
	fi
}

# sig_pending PID SIGNUM: SIGNUM is pending for PID (sent, not yet taken:
# neither delivered, nor read from a signalfd, nor discarded as ignored)
sig_pending() {
	local k v bit=$(( 1 << ($2 - 1) ))
	while read -r k v; do
		case $k in
		SigPnd: | ShdPnd:) (( 16#$v & bit )) && return 0 ;;
		esac
	done 2>/dev/null <"/proc/$1/status"
	return 1
}

# redrawn_after_usr1 FILE: in the terminal output FILE, the status line of
# run $RUN (0/3 done) was drawn again after the SIGUSR1 line
redrawn_after_usr1() {
	local after
	after=$(grep -F -A1 'interrupted, ' "$1" | sed -n 2p)
	[[ $after == $'\r\e[K'"$RUN: 0/3 done"* ]]
}

# wait_go FILE: a task line that waits (at most 30 s) for FILE to exist
wait_go() {
	echo "i=0; while [ ! -e '$1' ] && [ \$i -lt 600 ]; do sleep 0.05; i=\$((i+1)); done"
}

# --------------------------------------------------------------- quiet on success
new_run quiet
printf 'true\necho hello\nprintf "%%s\\n" a b\n' >"$SANDBOX/tasks.quiet"
supervise -j 2 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.quiet" </dev/null >"$SANDBOX/quiet.out" 2>"$SANDBOX/quiet.err"
assert_eq 0 "$?" "quiet: exit status"
assert_eq "" "$(cat "$SANDBOX/quiet.err")" "quiet: stderr of a successful run (not a terminal)"
assert_eq "" "$(cat "$SANDBOX/quiet.out")" "quiet: stdout of a successful run"
# --progress does not write into a file or pipe either
new_run quietp
supervise --progress -n "$RUN" -L "$LOG" "$SANDBOX/tasks.quiet" </dev/null 2>&1 | cat >"$SANDBOX/quietp.out"
assert_eq 0 "${PIPESTATUS[0]}" "quiet --progress: exit status"
assert_eq "" "$(cat "$SANDBOX/quietp.out")" "quiet --progress: output into a pipe"

# --------------------------------------------------------------- failure summary
new_run fail
LONG="exit 5 # $(printf 'x%.0s' $(seq 1 90))"
printf '%s\n' 'true' 'exit 2' 'true' 'kill -KILL $$' "$LONG" >"$SANDBOX/tasks.fail"
printf 'exit 6\t# a tab\n' >>"$SANDBOX/tasks.fail"
supervise -j 1 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.fail" </dev/null >"$SANDBOX/fail.out" 2>"$SANDBOX/fail.err"
assert_eq 1 "$?" "fail: exit status"
expect="$PROG: $RUN: 2 completed, 4 failed (task 2: exit 2), 0 interrupted in T
  task 2 FAILED (exit 2): exit 2
  task 4 FAILED (SIGKILL): kill -KILL \$\$
  task 5 FAILED (exit 5): ${LONG:0:67}...
  task 6 FAILED (exit 6): exit 6?# a tab"
assert_eq "$expect" "$(summary_of "$SANDBOX/fail.err")" "fail: stderr"
assert_match "^$PROG: $RUN: .* in $DUR\$" "$(head -n 1 "$SANDBOX/fail.err")" "fail: duration format"
assert_eq "" "$(cat "$SANDBOX/fail.out")" "fail: stdout"

# more than ten: the first ten, then a pointer to the job log
new_run many
{
	echo true
	for i in $(seq 2 14); do echo "exit $((i % 3 + 1))"; done
} >"$SANDBOX/tasks.many"
supervise -j 4 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.many" </dev/null 2>"$SANDBOX/many.err"
assert_eq 1 "$?" "many: exit status"
expect="$PROG: $RUN: 1 completed, 13 failed (task 2: exit 3), 0 interrupted in T"
for i in $(seq 2 11); do
	expect="$expect
  task $i FAILED (exit $((i % 3 + 1))): exit $((i % 3 + 1))"
done
expect="$expect
  ... and 3 more: see $LOG/joblog"
assert_eq "$expect" "$(summary_of "$SANDBOX/many.err")" "many: stderr"

# interrupted by --timeout
new_run tmo
printf '%s\n' 'true' 'sleep 30' >"$SANDBOX/tasks.tmo"
supervise -j 2 --timeout 0.5 --grace 1 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.tmo" </dev/null 2>"$SANDBOX/tmo.err"
assert_eq 1 "$?" "timeout: exit status"
expect="$PROG: $RUN: 1 completed, 0 failed, 1 interrupted (task 2: timeout) in T
  task 2 INTERRUPTED (timeout): sleep 30"
assert_eq "$expect" "$(summary_of "$SANDBOX/tmo.err")" "timeout: stderr"

# stopped by SIGTERM: the warning, then interrupted and never started tasks
new_run stop
printf '%s\n' 'sleep 30' 'sleep 30' 'sleep 30' >"$SANDBOX/tasks.stop"
start_bg -j 1 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.stop" </dev/null 2>"$SANDBOX/stop.err"
wait_for "[ \"\$(states '$LOG' 1)\" = RUNNING ]" 20 || fail "stop: task 1 did not start"
kill -TERM "$SUP_PID"
wait_exit "$SUP_PID" 20
assert_eq 143 "$EXIT_STATUS" "stop: exit status"
expect="$PROG: warning: Terminated: interrupting 1 running task(s)
$PROG: $RUN: 0 completed, 0 failed, 1 interrupted (task 1: shutdown), 2 not started in T
  task 1 INTERRUPTED (shutdown): sleep 30"
assert_eq "$expect" "$(summary_of "$SANDBOX/stop.err")" "stop: stderr"

# --------------------------------------------------------------- SIGUSR1, no terminal
STATUS_RE="^$PROG: [^ ]+: [0-9]+/[0-9]+ done, [0-9]+ running, [0-9]+ idle, [0-9]+ failed, [0-9]+ interrupted, [0-9]+s\$"
new_run usr1
GO="$SANDBOX/go.usr1"
printf '%s\n' "$(wait_go "$GO")" "$(wait_go "$GO")" "true" >"$SANDBOX/tasks.usr1"
start_bg -j 2 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.usr1" </dev/null 2>"$SANDBOX/usr1.err"
wait_for "[ \"\$(states '$LOG' 1)\" = RUNNING ] && [ \"\$(states '$LOG' 2)\" = RUNNING ]" 20 ||
	fail "usr1: tasks 1 and 2 not RUNNING"
kill -USR1 "$SUP_PID"
wait_for "[ -s '$SANDBOX/usr1.err' ]" 5 || fail "usr1: no status line within 5 s of SIGUSR1"
line=$(cat "$SANDBOX/usr1.err")
assert_match "$STATUS_RE" "$line" "usr1: the status line"
assert_match "^$PROG: $RUN: 0/3 done, 2 running, 0 idle, 0 failed, 0 interrupted, [0-9]+s\$" "$line" "usr1: the counts"
touch "$GO"
wait_exit "$SUP_PID" 30
assert_eq 0 "$EXIT_STATUS" "usr1: exit status"
assert_eq "$line" "$(cat "$SANDBOX/usr1.err")" "usr1: stderr at the end (the status line only: quiet on success)"

# ------------------------------------------------------------- SIGHUP, attached
new_run hup
GO="$SANDBOX/go.hup"
printf '%s\n' "$(wait_go "$GO")" "true" >"$SANDBOX/tasks.hup"
start_bg -n "$RUN" -L "$LOG" "$SANDBOX/tasks.hup" </dev/null 2>"$SANDBOX/hup.err"
wait_for "[ \"\$(states '$LOG' 1)\" = RUNNING ]" 20 || fail "hup: task 1 not RUNNING"
kill -HUP "$SUP_PID"
wait_for "! sig_pending $SUP_PID 1" 10 || fail "hup: SIGHUP still pending after 10 s"
proc_alive "$SUP_PID" || fail "hup: an attached supervisor must ignore SIGHUP"
touch "$GO"
wait_exit "$SUP_PID" 30
assert_eq 0 "$EXIT_STATUS" "hup: exit status"
assert_eq "" "$(cat "$SANDBOX/hup.err")" "hup: stderr"
assert_no_file "$LOG/supervisor.log" "hup: attached, no supervisor.log"

# ------------------------------------------- --detach: SIGUSR1 and SIGHUP reopen
new_run det
GO="$SANDBOX/go.det"
printf '%s\n' "$(wait_go "$GO")" "$(wait_go "$GO"); exit 3" >"$SANDBOX/tasks.det"
supervise -d -j 2 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.det" </dev/null >"$SANDBOX/det.out" 2>"$SANDBOX/det.err"
assert_eq 0 "$?" "detach: exit status of the detaching command ($(cat "$SANDBOX/det.err"))"
DPID=$(awk '{ print $2 }' "$SANDBOX/det.out")
assert_match '^[0-9]+$' "$DPID" "detach: the supervisor's pid on stdout"
if [[ $DPID =~ ^[0-9]+$ ]]; then
	E2E_BG_PIDS+=("$DPID")
	wait_for "[ \"\$(states '$LOG' 1)\" = RUNNING ] && [ \"\$(states '$LOG' 2)\" = RUNNING ]" 20 ||
		fail "detach: tasks not RUNNING"
	kill -USR1 "$DPID"
	wait_for "grep -q 'done, ' '$LOG/supervisor.log'" 5 || fail "detach: no status line in supervisor.log after SIGUSR1"
	assert_match "^$PROG: $RUN: 0/2 done, 2 running, 0 idle, 0 failed, 0 interrupted, [0-9]+s\$" \
		"$(cat "$LOG/supervisor.log")" "detach: supervisor.log after SIGUSR1"
	# logrotate's way: rename, then SIGHUP
	mv "$LOG/supervisor.log" "$LOG/supervisor.log.1"
	kill -HUP "$DPID"
	kill -USR1 "$DPID"
	wait_for "grep -q 'done, ' '$LOG/supervisor.log' 2>/dev/null" 5 ||
		fail "detach: no status line in a new supervisor.log after SIGHUP and SIGUSR1"
	assert_match "^$PROG: $RUN: 0/2 done, 2 running, 0 idle, 0 failed, 0 interrupted, [0-9]+s\$" \
		"$(cat "$LOG/supervisor.log" 2>/dev/null)" "detach: the new supervisor.log"
	assert_eq 600 "$(stat -c %a "$LOG/supervisor.log" 2>/dev/null)" "detach: mode of the new supervisor.log"
	touch "$GO"
	wait_for "! proc_alive $DPID" 30 || fail "detach: the supervisor did not end"
	assert_eq 1 "$(json_get "$LOG/summary.json" exit_status)" "detach: exit status (summary.json)"
	assert_eq 1 "$(wc -l <"$LOG/supervisor.log.1" | tr -d ' ')" "detach: lines in the renamed log (nothing after SIGHUP)"
	expect="$PROG: $RUN: 1 completed, 1 failed (task 2: exit 3), 0 interrupted in T
  task 2 FAILED (exit 3): $(cut70 "$(sed -n 2p "$SANDBOX/tasks.det")")"
	assert_eq "$expect" "$(summary_of "$LOG/supervisor.log" | tail -n +2)" "detach: the summary in the new supervisor.log"
fi

# --------------------------------------------------------------- under a terminal
# frames FILE NAME: the status lines drawn in FILE, one per line
frames() {
	"$PYTHON" - "$1" "$2" <<'EOF'
import sys, re
data = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
for m in re.finditer(r"\r\x1b\[K(%s: [^\r\n\x1b]*)" % re.escape(sys.argv[2]), data):
    print(m.group(1))
EOF
}

# on_tty TAG CMD: run the shell command CMD on a fresh PTY of 200 columns
# (script -qfec), its terminal output into $SANDBOX/tty.TAG; sets RC. The
# command's shell pid goes into $SANDBOX/pid.TAG (use exec to make it the
# supervisor's).
on_tty() {
	local tag=$1 cmd=$2
	TERM=xterm timeout -k 5 60 script -qfec "stty cols 200 rows 50; echo \$\$ >'$SANDBOX/pid.$tag'; $cmd" /dev/null \
		</dev/null >"$SANDBOX/tty.$tag" 2>&1
	RC=$?
	return "$RC"
}

FRAME_RE="^[^ ]+: [0-9]+/[0-9]+ done, [0-9]+ running, [0-9]+ idle, [0-9]+ failed(, [0-9]+ interrupted)?, [0-9]+s elapsed, (ETA (--|$DUR)|stopping)\$"

if ! command -v script >/dev/null || ! script -qfec true /dev/null </dev/null >/dev/null 2>&1; then
	note "SKIPPED the terminal cases: util-linux script(1) is not available or cannot make a PTY"
else
	# the status line: redrawn in place, erased, the summary line left
	new_run tty
	printf '%s\n' 'sleep 1.2' 'sleep 1.2' 'sleep 1.2' 'true' >"$SANDBOX/tasks.tty"
	t0=$(now_us)
	on_tty tty "exec '$SUPERVISE' -j 2 -n '$RUN' -L '$LOG' '$SANDBOX/tasks.tty'"
	took=$(ms_since "$t0")
	assert_eq 0 "$RC" "tty: exit status"
	F=$(frames "$SANDBOX/tty.tty" "$RUN")
	nf=$(grep -c . <<<"$F")
	note "tty: $nf status lines in $took ms; the last: $(tail -n 1 <<<"$F")"
	assert_le 3 "$nf" "tty: status lines drawn in a run of $took ms"
	assert_le "$nf" $((took * 4 / 1000 + 4)) "tty: status lines drawn in $took ms (at most 4 a second)"
	bad=$(grep -Ev "$FRAME_RE" <<<"$F" | head -n 1)
	assert_eq "" "$bad" "tty: a status line in an unexpected format"
	grep -q "^$RUN: 0/4 done, 2 running" <<<"$F" || fail "tty: no status line with 2 tasks running: $(head -n 3 <<<"$F")"
	grep -q "^$RUN: [23]/4 done, .* ETA [0-9]" <<<"$F" || fail "tty: no status line with an ETA"
	# at least once a second: every whole second of elapsed time was shown
	last=$(tail -n 1 <<<"$F" | sed -E 's/.* ([0-9]+)s elapsed.*/\1/')
	for s in $(seq 0 "$last"); do
		grep -q " ${s}s elapsed" <<<"$F" || fail "tty: no status line showed ${s}s elapsed (redrawn less than once a second?)"
	done
	raw=$(cat -v "$SANDBOX/tty.tty")
	assert_eq 1 "$(wc -l <"$SANDBOX/tty.tty" | tr -d ' ')" "tty: newlines written (the summary's only: no scrolling)"
	assert_match "^\\^M\\^\\[\\[K$RUN: [^^]*(\\^M\\^\\[\\[K$RUN: [^^]*)*\\^M\\^\\[\\[K$PROG: $RUN: 4 completed, 0 failed, 0 interrupted in [0-9.hms]+\\^M\$" \
		"$raw" "tty: everything written (status lines redrawn in place, never a newline; erased; the summary)"
	assert_eq "$PROG: $RUN: 4 completed, 0 failed, 0 interrupted in T" \
		"$(screen "$SANDBOX/tty.tty" | sed -E "s/ in $DUR\$/ in T/")" "tty: the screen at the end"

	# stderr into a file, stdout still the terminal: no status line anywhere
	new_run ttyf
	on_tty ttyf "exec '$SUPERVISE' --progress -j 2 -n '$RUN' -L '$LOG' '$SANDBOX/tasks.tty' 2>'$SANDBOX/ttyf.err'"
	assert_eq 0 "$RC" "tty, stderr to a file: exit status"
	assert_eq "" "$(cat "$SANDBOX/ttyf.err")" "tty, stderr to a file: stderr (no status line, quiet on success)"
	assert_eq "" "$(cat -v "$SANDBOX/tty.ttyf")" "tty, stderr to a file: the terminal"

	# a background job (its own process group, not the terminal's
	# foreground one): no status line over the shell's prompt
	new_run ttyb
	on_tty ttyb "bash -mc \"'$SUPERVISE' -j 2 -n '$RUN' -L '$LOG' '$SANDBOX/tasks.tty' & wait \\\$!\""
	assert_eq 0 "$RC" "background job: exit status"
	assert_match "^$PROG: $RUN: 4 completed, 0 failed, 0 interrupted in [0-9.hms]+\\^M\$" \
		"$(cat -v "$SANDBOX/tty.ttyb" | head -n 1)" "background job: what it wrote (no status line)"

	# --no-progress: the summary, no status line
	new_run ttyn
	on_tty ttyn "exec '$SUPERVISE' --no-progress -j 2 -n '$RUN' -L '$LOG' '$SANDBOX/tasks.tty'"
	assert_eq 0 "$RC" "--no-progress: exit status"
	assert_match "^$PROG: $RUN: 4 completed, 0 failed, 0 interrupted in [0-9.hms]+\\^M\$" \
		"$(cat -v "$SANDBOX/tty.ttyn")" "--no-progress: everything written"

	# messages while the line is shown: SIGUSR1's status line, then SIGTERM's
	# warning, each on a line of its own, the status line drawn again below
	new_run ttym
	printf '%s\n' 'sleep 30' 'sleep 30' 'true' >"$SANDBOX/tasks.ttym"
	on_tty ttym "exec '$SUPERVISE' -j 2 -n '$RUN' -L '$LOG' '$SANDBOX/tasks.ttym'" &
	TPID=$!
	wait_for "[ -s '$SANDBOX/pid.ttym' ] && [ \"\$(states '$LOG' 1)\" = RUNNING ] && [ \"\$(states '$LOG' 2)\" = RUNNING ]" 20 ||
		fail "tty messages: tasks 1 and 2 not RUNNING"
	SPID=$(cat "$SANDBOX/pid.ttym" 2>/dev/null)
	E2E_BG_PIDS+=("$SPID")
	wait_for "frames '$SANDBOX/tty.ttym' '$RUN' | grep -q '2 running'" 5 || fail "tty messages: no status line with 2 running"
	kill -USR1 "$SPID"
	wait_for "grep -q 'interrupted, [0-9]*s' '$SANDBOX/tty.ttym'" 5 || fail "tty messages: no SIGUSR1 line"
	# the status line drawn again below it (at least once a second), before SIGTERM
	wait_for "redrawn_after_usr1 '$SANDBOX/tty.ttym'" 5 ||
		fail "tty messages: the status line not drawn again within 5 s of the SIGUSR1 line"
	kill -TERM "$SPID"
	wait "$TPID"
	RC=$?
	assert_eq 143 "$RC" "tty messages: exit status"
	expect="$PROG: $RUN: 0/3 done, 2 running, 0 idle, 0 failed, 0 interrupted, 0s
$PROG: warning: Terminated: interrupting 2 running task(s)
$PROG: $RUN: 0 completed, 0 failed, 2 interrupted (task 1: shutdown), 1 not started in T
  task 1 INTERRUPTED (shutdown): sleep 30
  task 2 INTERRUPTED (shutdown): sleep 30"
	got=$(screen "$SANDBOX/tty.ttym" | sed -E "s/ in $DUR\$/ in T/; s/interrupted, [0-9]+s\$/interrupted, 0s/")
	assert_eq "$expect" "$got" "tty messages: the screen at the end"
	# each message came after an erase, and the line was drawn again after it
	raw=$(cat -v "$SANDBOX/tty.ttym")
	assert_match "\\^M\\^\\[\\[K$PROG: $RUN: 0/3 done, [^^]*interrupted, [0-9]+s\\^M\$" "$(grep -F 'interrupted, ' <<<"$raw" | head -n 1)" \
		"tty messages: the SIGUSR1 line erases the status line first"
	assert_match "^\\^M\\^\\[\\[K$RUN: 0/3 done" "$(grep -F -A1 'interrupted, ' <<<"$raw" | sed -n 2p)" \
		"tty messages: the status line drawn again after the SIGUSR1 line"
	assert_no_survivors "$RUN" 3
fi
