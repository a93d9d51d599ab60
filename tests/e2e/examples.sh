#!/bin/bash
# examples.sh: the files in examples/ do what their comments say, tried for
# real with the paths pointed at the sandbox.
#
#   cron.d/oneshot-nightly: well formed for /etc/cron.d (variable lines, one
#     entry of five time fields, a user and a command, no unescaped %); its
#     command, with the log directory, task file and run name replaced, run
#     as cron runs it (env -i with the file's SHELL and PATH, /bin/sh -c, no
#     terminal): silent and 0 when every task completes; 1, the FAILED task
#     in the job log and a summary naming it (cron's mail) otherwise.
#   systemd/oneshot-nightly.{service,timer}: systemd-analyze verify passes
#     (skipped, with a note, when systemd-analyze is missing or cannot work
#     here); Type=oneshot, KillMode=mixed, TimeoutStopSec above --grace + 2,
#     no SuccessExitStatus for 1; ExecStart run for real; SIGTERM to the
#     supervisor alone (what KillMode=mixed does) interrupts the tasks with
#     reason shutdown and exits 143 well within TimeoutStopSec.
#   systemd/oneshot-queue.service: Type=simple, KillMode=mixed,
#     Restart=on-failure, exit statuses explained; its ExecStart (pointed at
#     the sandbox) started as systemd does and its ExecStartPost returns once
#     an add works; SIGTERM exits 143 (a success for the unit); the restart
#     resumes the interrupted task and goes on with the ids; close ends it.
#   agents.tasks + fake-agent: the batch run with a small --idle-after goes
#     through the states its comments announce (IDLE seen in events.jsonl),
#     the terminal/no-terminal difference shows in the transcripts, and
#     --resume runs again only what did not finish (task 4).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"

EX=$ONESHOT_SRCDIR/examples
for f in cron.d/oneshot-nightly systemd/oneshot-nightly.service systemd/oneshot-nightly.timer \
	agents.tasks fake-agent demo.tasks quickstart; do
	assert_file "$EX/$f" "examples/$f" || fatal "examples/$f is missing"
done
[ -x "$EX/fake-agent" ] || fail "examples/fake-agent is not executable"

# A directory for PATH whose oneshotd-supervise is the one under test.
mkdir -p "$SANDBOX/bin"
ln -s "$SUPERVISE" "$SANDBOX/bin/oneshotd-supervise"

# Task files standing in for /etc/oneshot/nightly.tasks
printf '%s\n' '# a comment' 'echo first' 'test -t 0 -a -t 1 && echo "has a terminal"' >"$SANDBOX/ok.tasks"
printf '%s\n' 'echo first' 'echo "nightly: disk full" >&2; exit 3' 'true' >"$SANDBOX/fail.tasks"

# point CMD RUNNAME LOGDIR TASKFILE: set POINTED to CMD with the example's
# run name, log directory and task file replaced (a failure when one of
# them is not in CMD)
point() {
	local c=" $1"
	case $c in
	*' -n nightly '*) ;;
	*) fail "command [$1] has no '-n nightly'" ;;
	esac
	case $c in
	*' -L /var/log/oneshot/nightly '*) ;;
	*) fail "command [$1] has no '-L /var/log/oneshot/nightly'" ;;
	esac
	case $c in
	*' /etc/oneshot/nightly.tasks') ;;
	*) fail "command [$1] does not end with /etc/oneshot/nightly.tasks" ;;
	esac
	c=${c/" -n nightly "/" -n $2 "}
	c=${c/" -L /var/log/oneshot/nightly "/" -L $3 "}
	c=${c/%" /etc/oneshot/nightly.tasks"/" $4"}
	POINTED=${c# }
}

# ------------------------------------------------------------ cron.d entry

CRON=$EX/cron.d/oneshot-nightly
vars=() entries=()
while IFS= read -r line || [ -n "$line" ]; do
	case $line in
	'' | '#'*) continue ;;
	esac
	if [[ $line =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; then
		vars+=("$line")
	else
		entries+=("$line")
	fi
done <"$CRON"
assert_eq 1 "${#entries[@]}" "number of entries in cron.d/oneshot-nightly"
cron_shell= cron_path= mailto=
for v in "${vars[@]}"; do
	case $v in
	SHELL=*) cron_shell=${v#SHELL=} ;;
	PATH=*) cron_path=${v#PATH=} ;;
	MAILTO=*) mailto=${v#MAILTO=} ;;
	*) fail "unexpected variable line in cron.d/oneshot-nightly: [$v]" ;;
	esac
done
[ -n "$mailto" ] || fail "cron.d/oneshot-nightly sets no MAILTO"
assert_eq /bin/sh "$cron_shell" "cron.d/oneshot-nightly SHELL"
assert_match '^/' "$cron_path" "cron.d/oneshot-nightly PATH"
grep -q MAILTO "$CRON" && grep -qi 'quiet on success' "$CRON" ||
	fail "cron.d/oneshot-nightly does not explain what MAILTO gets"

read -r c_min c_hour c_dom c_mon c_dow c_user c_cmd <<<"${entries[0]:-}"
for f in "$c_min" "$c_hour" "$c_dom" "$c_mon" "$c_dow"; do
	assert_match '^[0-9*/,-]+$' "$f" "cron time field" || break
done
assert_eq root "$c_user" "cron entry user field"
case ${c_cmd//\\%/} in
*%*) fail "cron command has an unescaped % (cron turns it into a newline): [$c_cmd]" ;;
esac
assert_match '^oneshotd-supervise ' "$c_cmd" "cron command"
assert_match ' -j [0-9]+ ' "$c_cmd" "cron command has -j"
assert_match ' --timeout [0-9]+ ' "$c_cmd" "cron command has --timeout"

# cron_run TASKFILE: set RUN/LOG (new_run done by the caller), run the entry's
# command as cron would, set CRON_STATUS, CRON_OUT (stdout+stderr)
cron_run() {
	point "${c_cmd//\\%/%}" "$RUN" "$LOG" "$1"
	timeout -k 5 60 env -i SHELL="$cron_shell" PATH="$SANDBOX/bin:$cron_path" \
		HOME="$SANDBOX" LOGNAME="$(id -un)" "$cron_shell" -c "$POINTED" \
		</dev/null >"$SANDBOX/cron.out" 2>&1
	CRON_STATUS=$?
	CRON_OUT=$(cat "$SANDBOX/cron.out")
}

new_run cron-ok
cron_run "$SANDBOX/ok.tasks"
assert_eq 0 "$CRON_STATUS" "cron entry, every task completes: exit status"
assert_eq "" "$CRON_OUT" "cron entry, every task completes: output (cron would mail it)"
assert_eq 2 "$(joblog_count "$LOG")" "cron entry: joblog lines"
assert_eq COMPLETED "$(joblog_col "$LOG" 2 State)" "cron entry: task 2 State"
assert_eq "has a terminal" "$(tr -d '\r\n' <"$LOG/2.log" 2>/dev/null)" "cron entry: task 2 has a terminal under cron"
assert_eq 0 "$(json_get "$LOG/summary.json" exit_status)" "cron entry: summary.json exit_status"

new_run cron-fail
cron_run "$SANDBOX/fail.tasks"
assert_eq 1 "$CRON_STATUS" "cron entry, a task fails: exit status"
assert_eq FAILED "$(joblog_col "$LOG" 2 State)" "cron entry, a task fails: task 2 State"
assert_eq 3 "$(joblog_col "$LOG" 2 Exitval)" "cron entry, a task fails: task 2 Exitval"
assert_eq COMPLETED "$(joblog_col "$LOG" 3 State)" "cron entry, a task fails: task 3 State"
# quiet on success, but not on failure: this is cron's mail
assert_match 'task 2' "$CRON_OUT" "cron entry, a task fails: output (cron's mail) names the failed task"
note "cron entry, a failed batch writes (cron's mail): [$(show "$CRON_OUT")]"

# --------------------------------------------------------- systemd units

SVC=$EX/systemd/oneshot-nightly.service
TIMER=$EX/systemd/oneshot-nightly.timer

# unit_key FILE KEY: the values of KEY= lines, one per line
unit_key() {
	sed -n "s/^$2=//p" "$1"
}

assert_eq oneshot "$(unit_key "$SVC" Type)" "service Type"
assert_eq mixed "$(unit_key "$SVC" KillMode)" "service KillMode"
exec_start=$(unit_key "$SVC" ExecStart)
assert_eq 1 "$(grep -c '^ExecStart=' "$SVC")" "service: number of ExecStart= lines"
grace=5
if [[ $exec_start =~ --grace\ ([0-9]+) ]]; then
	grace=${BASH_REMATCH[1]}
fi
stop=$(unit_key "$SVC" TimeoutStopSec)
case $stop in
*min) stop_s=$((${stop%min} * 60)) ;;
*sec) stop_s=${stop%sec} ;;
*s) stop_s=${stop%s} ;;
*) stop_s=$stop ;;
esac
if [[ $stop_s =~ ^[0-9]+$ ]]; then
	[ "$stop_s" -gt $((grace + 2)) ] ||
		fail "service TimeoutStopSec=$stop is not above --grace $grace + 2 s (the supervisor's backstop)"
else
	fail "service TimeoutStopSec=[$stop]: expected a number of seconds"
fi
for v in $(unit_key "$SVC" SuccessExitStatus); do
	[ "$v" = 1 ] && fail "service SuccessExitStatus has 1: a failed batch would pass for a success"
done
grep -q '^OnCalendar=' "$TIMER" || fail "timer has no OnCalendar="
assert_eq timers.target "$(unit_key "$TIMER" WantedBy)" "timer WantedBy"
for st in 0 1 2 3 143; do
	grep -Eq "^#[[:space:]]+$st[[:space:]]" "$SVC" || fail "service: exit status $st is not explained in its comments"
done

# ExecStart is run by systemd without a shell: plain words only here, so
# splitting on blanks is what systemd does
case $exec_start in
*[\"\'\$%\\]*) fail "ExecStart has quotes, \$, % or \\: the test cannot split it like systemd: [$exec_start]" ;;
esac
read -ra argv <<<"$exec_start"
assert_match '^/' "${argv[0]:-}" "ExecStart program (systemd wants an absolute path)"
assert_eq oneshotd-supervise "$(basename "${argv[0]:-}")" "ExecStart program name"

# svc_argv TASKFILE: the ExecStart command pointed at the sandbox, in ARGV
svc_argv() {
	point "${argv[*]:1}" "$RUN" "$LOG" "$1"
	read -ra ARGV <<<"$POINTED"
	ARGV=("$SUPERVISE" "${ARGV[@]}")
}

new_run svc-ok
svc_argv "$SANDBOX/ok.tasks"
timeout -k 5 60 "${ARGV[@]}" </dev/null >"$SANDBOX/svc.out" 2>&1
assert_eq 0 "$?" "service ExecStart, every task completes: exit status"
assert_eq "" "$(cat "$SANDBOX/svc.out")" "service ExecStart, every task completes: output (journal)"
assert_eq 2 "$(joblog_count "$LOG")" "service ExecStart: joblog lines"

new_run svc-fail
svc_argv "$SANDBOX/fail.tasks"
timeout -k 5 60 "${ARGV[@]}" </dev/null >"$SANDBOX/svc.out" 2>&1
assert_eq 1 "$?" "service ExecStart, a task fails: exit status (the unit fails)"

# systemctl stop with KillMode=mixed: SIGTERM to the main process alone
new_run svc-stop
printf '%s\n' 'echo started; sleep 120' 'sleep 120' 'echo never started' >"$SANDBOX/stop.tasks"
svc_argv "$SANDBOX/stop.tasks"
ARGV=("${ARGV[@]:1}")
# two running at once whatever -j the example uses: -j 2 after its own
start_bg "${ARGV[@]:0:${#ARGV[@]}-1}" -j 2 "$SANDBOX/stop.tasks" </dev/null 2>"$SANDBOX/svc-stop.err"
wait_for '[ "$(states "$LOG" 1)" = RUNNING ] && [ "$(states "$LOG" 2)" = RUNNING ]' 20 ||
	fail "service stop: tasks 1 and 2 did not start: [$(states "$LOG" 1)] [$(states "$LOG" 2)]"
t0=$(now_us)
kill -TERM "$SUP_PID"
wait_exit "$SUP_PID" "$stop_s"
took=$(ms_since "$t0")
assert_eq 143 "$EXIT_STATUS" "service stop (SIGTERM to the supervisor): exit status"
assert_le "$took" $(( (grace + 2) * 1000 )) "service stop: ms until the supervisor exited (--grace $grace + 2 s)"
for t in 1 2; do
	assert_eq INTERRUPTED "$(joblog_col "$LOG" $t State)" "service stop: task $t State"
	assert_eq "interrupt INTERRUPTED shutdown" "$(events "$LOG" $t | awk 'END { print $1, $3, $4 }')" \
		"service stop: task $t last event"
done
assert_eq 1 "$(json_get "$LOG/summary.json" counts.not_started)" "service stop: tasks not started"
assert_no_survivors "$RUN" 3

# systemd-analyze verify, on copies whose ExecStart names the binary under
# test (verify checks that the program exists)
if ! command -v systemd-analyze >/dev/null 2>&1; then
	note "NOTE: systemd-analyze not found (Debian: systemd): the units were NOT verified; the other checks ran"
else
	mkdir -p "$SANDBOX/probe" "$SANDBOX/units"
	printf '[Unit]\nDescription=probe\n\n[Service]\nType=oneshot\nExecStart=/bin/true\n' \
		>"$SANDBOX/probe/oneshot-probe.service"
	if ! probe=$(systemd-analyze verify --man=no "$SANDBOX/probe/oneshot-probe.service" 2>&1) || [ -n "$probe" ]; then
		note "NOTE: systemd-analyze verify does not work here (on a trivial unit: $(show "$probe")): the units were NOT verified"
	else
		sed "s|^ExecStart=[^ ]*|ExecStart=$SUPERVISE|" "$SVC" >"$SANDBOX/units/oneshot-nightly.service"
		cp "$TIMER" "$SANDBOX/units/oneshot-nightly.timer"
		sed "s|^ExecStart=[^ ]*|ExecStart=$SUPERVISE|; s|/usr/local/bin/oneshot-ps|$PS|" \
			"$EX/systemd/oneshot-queue.service" >"$SANDBOX/units/oneshot-queue.service"
		out=$(systemd-analyze verify --man=no "$SANDBOX/units/oneshot-nightly.service" \
			"$SANDBOX/units/oneshot-nightly.timer" "$SANDBOX/units/oneshot-queue.service" 2>&1)
		rc=$?
		assert_eq "0 " "$rc $out" "systemd-analyze verify oneshot-nightly.service oneshot-nightly.timer oneshot-queue.service (status, output)"
		note "systemd-analyze verify: the units are clean"
	fi
fi

# ------------------------------------------------ systemd/oneshot-queue.service

QSVC=$EX/systemd/oneshot-queue.service
CTL=$ONESHOT_BUILDDIR/ctl/oneshot-ctl
assert_eq simple "$(unit_key "$QSVC" Type)" "queue service Type"
assert_eq mixed "$(unit_key "$QSVC" KillMode)" "queue service KillMode"
assert_eq on-failure "$(unit_key "$QSVC" Restart)" "queue service Restart"
for st in 0 1 2 3 143; do
	grep -Eq "^#[[:space:]]+$st[[:space:]]" "$QSVC" || fail "queue service: exit status $st is not explained in its comments"
done
q_start=$(unit_key "$QSVC" ExecStart)
q_post=$(unit_key "$QSVC" ExecStartPost)
case $q_start in
*[\"\'\$%\\]*) fail "queue ExecStart has quotes, \$, % or \\: [$q_start]" ;;
esac
case " $q_start " in
*' --queue --resume -n queue -L /var/log/oneshot/queue '*) ;;
*) fail "queue ExecStart: expected --queue --resume -n queue -L /var/log/oneshot/queue: [$q_start]" ;;
esac
# qsvc: the unit's ExecStart and ExecStartPost pointed at the sandbox: the
# run, its log directory and the programs under test
qsvc_argv() {
	local c=" ${q_start#* }"
	c=${c/" -n queue "/" -n $RUN "}
	c=${c/" -L /var/log/oneshot/queue "/" -L $LOG "}
	read -ra QARGV <<<"$c"
	QPOST=${q_post//\/usr\/local\/bin\/oneshot-ps/$PS}
	QPOST=${QPOST//" -n queue "/" -n $RUN "}
}
# start it as systemd does (the main process, MAINPID), then ExecStartPost
# (its sh -c script, with systemd's $$ unescaped): it returns once the
# queue takes tasks
qsvc_start() {
	local script=${QPOST#*\'}
	script=${script%\'}
	script=${script//\$\$MAINPID/\$MAINPID}
	start_bg "${QARGV[@]}" </dev/null 2>"$SANDBOX/qsvc.err"
	MAINPID=$SUP_PID timeout 30 sh -c "$script"
	assert_eq 0 "$?" "queue service ExecStartPost: it returns once the queue is open"
}
new_run qsvc
qsvc_argv
qsvc_start
"$CTL" -n "$RUN" add "sleep 120" >"$SANDBOX/qsvc.id" 2>&1
assert_eq 1 "$(cat "$SANDBOX/qsvc.id")" "queue service: the first add right after start"
wait_for '[ "$(states "$LOG" 1)" = RUNNING ]' 20 || fail "queue service: task 1 did not start"
kill -TERM "$SUP_PID"
wait_exit "$SUP_PID" 30
assert_eq 143 "$EXIT_STATUS" "queue service stop (SIGTERM): exit status, in SuccessExitStatus"
grep -qw 143 <<<"$(unit_key "$QSVC" SuccessExitStatus)" || fail "queue service: 143 not in SuccessExitStatus"
# the restart resumes: task 1 runs again, the next add gets id 2
qsvc_start
wait_for '[ "$(states "$LOG" 1 | awk "{ print \$NF }")" = RUNNING ]' 20 ||
	fail "queue service restart: task 1 did not run again: [$(states "$LOG" 1)]"
assert_eq 2 "$("$CTL" -n "$RUN" add true 2>&1)" "queue service restart: the next add's id"
"$CTL" -n "$RUN" interrupt 1 >/dev/null 2>&1
"$CTL" -n "$RUN" close
wait_exit "$SUP_PID" 30
assert_eq 1 "$EXIT_STATUS" "queue service closed, task 1 interrupted: exit status (the unit fails)"

# ------------------------------------------------- agents.tasks, fake-agent

# fake-agent without a terminal: plain lines, the exit status asked for
out=$(FAKE_AGENT_STEP=0.01 "$EX/fake-agent" plain 7 0.1 2 </dev/null 2>&1)
assert_eq 7 "$?" "fake-agent plain 7: exit status"
assert_eq "plain: standard output is not a terminal: plain output, no progress bar
plain: step 1/2
plain: thinking...
plain: step 2/2
plain: done, exit status 7" "$out" "fake-agent without a terminal: output"
out=$(FAKE_AGENT_STEP=0.01 "$EX/fake-agent" -q ask 0 0 2 </dev/null 2>&1)
assert_eq 1 "$?" "fake-agent -q, end of file for an answer: exit status"

new_run agents
cd "$EX" || fatal "cd $EX"
SUPERVISE_LIMIT=90 supervise -n "$RUN" -j 3 --idle-after 0.5 --idle-timeout 5 --grace 1 -L "$LOG" agents.tasks \
	</dev/null >"$SANDBOX/agents.out" 2>&1
st=$?
cd "$SANDBOX" || fatal "cd $SANDBOX"
assert_eq 1 "$st" "agents.tasks: exit status (task 3 fails, task 4 is interrupted)"
assert_eq 6 "$(joblog_count "$LOG")" "agents.tasks: joblog lines"

# tasks 1, 2: silent 2 s with --idle-after 0.5: IDLE, back to RUNNING, COMPLETED
for t in 1 2; do
	assert_match '^RUNNING (IDLE RUNNING )+COMPLETED$' "$(states "$LOG" $t)" "agents.tasks: task $t states"
done
assert_match '^RUNNING (IDLE RUNNING )+FAILED$' "$(states "$LOG" 3)" "agents.tasks: task 3 states"
assert_eq 2 "$(joblog_col "$LOG" 3 Exitval)" "agents.tasks: task 3 Exitval"
# task 4 waits for an answer on its terminal: IDLE, then interrupted
assert_match '^RUNNING (IDLE RUNNING )+IDLE INTERRUPTED$' "$(states "$LOG" 4)" "agents.tasks: task 4 states"
assert_eq "interrupt idle-timeout" "$(events "$LOG" 4 | awk 'END { print $1, $4 }')" \
	"agents.tasks: task 4 last event and reason"
for t in 5 6; do
	assert_eq COMPLETED "$(joblog_col "$LOG" $t State)" "agents.tasks: task $t State"
done
n_idle=$(for t in 1 2 3 4 5 6; do states "$LOG" $t; done | grep -o IDLE | wc -l)
assert_le 3 "$n_idle" "agents.tasks: RUNNING -> IDLE transitions in events.jsonl (tasks 1, 2, 3, 4)"
assert_eq "4 1 1 0" "$(for k in completed failed interrupted not_started; do
	json_get "$LOG/summary.json" counts.$k; done | tr '\n' ' ' | sed 's/ $//')" \
	"agents.tasks: summary.json counts (completed failed interrupted not_started)"

# transcripts: a terminal and a progress bar drawn with \r for task 1; plain
# lines for task 6, whose output is a pipe
t1=$(cat "$LOG/1.log" 2>/dev/null)
assert_match 'fix-tests: interactive session on /dev/pts/[0-9]+ \(80x24\)' "$t1" "agents.tasks: task 1 has a terminal"
[[ $t1 == *$'\r'*'] 100%'* ]] || fail "agents.tasks: task 1 transcript has no progress bar redrawn with \\r"
assert_match 'Apply the changes\? \[y/N\] $' "$(cat "$LOG/4.log" 2>/dev/null)" "agents.tasks: task 4 ends at its question"
t6=$(cat "$LOG/6.log" 2>/dev/null)
assert_match 'review: standard output is not a terminal' "$t6" "agents.tasks: task 6 (piped) has no terminal"
[[ $t6 == *$'\r'* ]] && fail "agents.tasks: task 6 (no terminal) drew a progress bar"

# The README's way to go on after failures: --resume runs what did not
# finish (task 4, INTERRUPTED), under its own number, and skips the rest
before=$(joblog_count "$LOG")
(cd "$EX" && SUPERVISE_LIMIT=60 supervise -n "$RUN" -j 3 --idle-after 0.5 --idle-timeout 1 \
	--grace 1 -L "$LOG" --resume agents.tasks </dev/null 2>/dev/null)
assert_eq 1 "$?" "agents.tasks --resume: still failed (task 3 skipped as FAILED)"
assert_eq "$((before + 1)) 4" "$(joblog_count "$LOG") $(awk -F '\t' 'END { print $1 }' "$LOG/joblog")" \
	"agents.tasks --resume ran exactly task 4 again"
assert_no_survivors "$RUN" 3
