#!/bin/bash
# input.sh: the task file, the options, the joblog format and the exit status.
#  - every input or usage error exits 2 with exactly one line on stderr naming
#    FILE:LINE (or FILE) or the option, and starts nothing: no task runs, no
#    table in /dev/shm, no joblog;
#  - accepted inputs: boundary values, CRLF lines, no final newline, comments
#    and blank lines (not numbered), TASKFILE "-" and absent (stdin), a line
#    of 131071 bytes;
#  - no task at all (an empty file, only comments, empty stdin) is nothing to
#    do: exit 0, one line "FILE: no tasks", a DONE run of 0 tasks, a job log
#    that is its header, summary.json and metrics;
#  - joblog: exact header, one line per task, 10 columns, Exitval / Signal /
#    State for true, exit 3, kill -9 $$, a missing command; exit 0 and 1;
#  - --help, --version.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/ps-lib.sh"

# re_escape STRING: STRING as a literal ERE
re_escape() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'; }

N=0
# expect_error WHAT ERE CMD-ARGS...: run the supervisor with CMD-ARGS (stdin: a
# valid task file that would leave a marker if it ran); expect exit 2, one line
# on stderr matching ERE, and nothing started. The caller passes -n/-L; the
# table and log dir checked are those of $RUN / $LOG.
expect_error() {
	local what=$1 re=$2 rc err
	shift 2
	N=$((N + 1))
	echo "touch '$SANDBOX/ran.$N'" >"$SANDBOX/stdin.$N"
	supervise "$@" <"$SANDBOX/stdin.$N" >"$SANDBOX/out.$N" 2>"$SANDBOX/err.$N"
	rc=$?
	err=$(cat "$SANDBOX/err.$N")
	assert_eq 2 "$rc" "$what: exit status (stderr: [$err])"
	assert_eq 1 "$(wc -l <"$SANDBOX/err.$N" | tr -d ' ')" "$what: lines on stderr [$err]"
	if ! grep -Eq -- "$re" "$SANDBOX/err.$N"; then
		fail "$what: the message should name /$re/, got [$err]"
	fi
	assert_eq "" "$(cat "$SANDBOX/out.$N")" "$what: stdout"
	# nothing started
	assert_no_file "$SANDBOX/ran.$N" "$what: a task ran anyway; marker"
	assert_no_file "$SHM" "$what: the table"
	assert_no_file "$LOG/joblog" "$what: joblog"
	rm -f "$SHM" "$LOG/joblog" # no cascade into the next case
	# a task file given on the command line must not have run either
	if [ -n "${MARK:-}" ]; then
		assert_no_file "$MARK" "$what: a task of the task file ran; marker"
	fi
}

OK="$SANDBOX/ok.tasks"
MARK=
echo "touch '$SANDBOX/ran.okfile'" >"$OK"

# ---------------------------------------------------------------- task file errors
new_run file
MARK="$SANDBOX/ran.file"
F="$SANDBOX/nul.tasks"
printf "touch '%s'\n\0\n" "$MARK" >"$F"
expect_error "NUL byte on line 2" "$(re_escape "$F"):2:" -n "$RUN" -L "$LOG" "$F"

F="$SANDBOX/nul3.tasks"
printf "touch '%s'\n# c\necho a\0b\ntrue\n" "$MARK" >"$F"
expect_error "NUL byte inside line 3" "$(re_escape "$F"):3:" -n "$RUN" -L "$LOG" "$F"

F="$SANDBOX/long.tasks"
{
	printf "touch '%s'\n# a comment\n" "$MARK"
	head -c 131072 /dev/zero | tr '\0' x
	printf '\ntrue\n'
} >"$F"
expect_error "131072-byte line 3" "$(re_escape "$F"):3:" -n "$RUN" -L "$LOG" "$F"

F="$SANDBOX/long-last.tasks"
{
	printf "touch '%s'\n\n\n" "$MARK"
	head -c 200000 /dev/zero | tr '\0' y
} >"$F"
expect_error "200000-byte last line 4 without newline" "$(re_escape "$F"):4:" -n "$RUN" -L "$LOG" "$F"

# expect_empty WHAT SHOWN ARGS...: a task list with no task is nothing to
# do: exit 0, the one line "SHOWN: no tasks", a run of 0 tasks that
# oneshot-ps shows DONE (--wait 0), a job log that is its header alone,
# summary.json and --metrics.
expect_empty() {
	local what=$1 shown=$2 rc err
	shift 2
	N=$((N + 1))
	rm -f "$SANDBOX/metrics.$N"
	supervise "$@" --metrics "$SANDBOX/metrics.$N" >"$SANDBOX/out.$N" 2>"$SANDBOX/err.$N"
	rc=$?
	err=$(cat "$SANDBOX/err.$N")
	assert_eq 0 "$rc" "$what: exit status (stderr: [$err])"
	assert_eq "oneshotd-supervise: $shown: no tasks" "$err" "$what: stderr"
	assert_eq "" "$(cat "$SANDBOX/out.$N")" "$what: stdout"
	assert_match "done, exit 0 .*tasks 0" "$(psx -n "$RUN" 2>&1 | head -n 1)" "$what: oneshot-ps"
	psx -n "$RUN" --wait=5 >/dev/null 2>&1
	assert_eq 0 "$?" "$what: oneshot-ps --wait"
	assert_eq "$(printf 'Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tState\tAttempt\tReason\tCommand')" \
		"$(cat "$LOG/joblog")" "$what: the job log is its header"
	assert_match '"total": *0' "$(tr -d '\n' <"$LOG/summary.json")" "$what: summary.json"
	assert_match 'oneshot_run_tasks\{run="[^"]*"\} 0' "$(cat "$SANDBOX/metrics.$N")" "$what: metrics"
	rm -f "$SHM" "$LOG/joblog" "$LOG/summary.json"
}

F="$SANDBOX/empty.tasks"
: >"$F"
expect_empty "empty task file" "$F" -n "$RUN" -L "$LOG" "$F"

F="$SANDBOX/comments.tasks"
printf '# only\n\n   # comments\n\t\n  \n#\n' >"$F"
expect_empty "task file with only comments and blank lines" "$F" -n "$RUN" -L "$LOG" "$F"

F="$SANDBOX/a-directory"
mkdir "$F"
expect_error "a directory as TASKFILE" "$(re_escape "$F"):.*[Dd]irectory" -n "$RUN" -L "$LOG" "$F"

F="$SANDBOX/no-such-file"
expect_error "nonexistent TASKFILE" "$(re_escape "$F"):.*No such file" -n "$RUN" -L "$LOG" "$F"

if [ "$E2E_UID" -ne 0 ]; then
	F="$SANDBOX/unreadable.tasks"
	echo "touch '$MARK'" >"$F"
	chmod 000 "$F"
	expect_error "unreadable TASKFILE" "$(re_escape "$F"):.*[Pp]ermission denied" -n "$RUN" -L "$LOG" "$F"
else
	note "running as root: the unreadable-file case is skipped"
fi

# errors in a task list read from standard input
MARK=
N=$((N + 1))
printf 'true\n\0\n' | supervise -n "$RUN" -L "$LOG" - >"$SANDBOX/out.$N" 2>"$SANDBOX/err.$N"
rc=$?
assert_eq 2 "$rc" "NUL byte on line 2 of stdin: exit status [$(cat "$SANDBOX/err.$N")]"
assert_eq 1 "$(wc -l <"$SANDBOX/err.$N" | tr -d ' ')" "NUL on stdin: lines on stderr"
grep -q ':2:' "$SANDBOX/err.$N" || fail "NUL on stdin: the message should name line 2, got [$(cat "$SANDBOX/err.$N")]"
assert_no_file "$SHM" "NUL on stdin: the table"
expect_empty "empty stdin" "<stdin>" -n "$RUN" -L "$LOG" </dev/null

# ---------------------------------------------------------------- option errors
new_run opt
MARK="$SANDBOX/ran.okfile"
for v in 0 4097 abc -1 1.5 '' 2x 99999999999999999999; do
	expect_error "-j '$v'" '(-j|jobs)' -n "$RUN" -L "$LOG" -j "$v" "$OK"
done
expect_error "--jobs=0" '(-j|jobs)' -n "$RUN" -L "$LOG" --jobs=0 "$OK"
for v in 0 -1 abc '' 0.0 1e3 inf nan 0x10 4294968; do
	expect_error "--idle-after '$v'" 'idle-after' -n "$RUN" -L "$LOG" --idle-after "$v" "$OK"
done
for v in 1e3 0 -5 abc 4294968 1,5; do
	expect_error "--timeout '$v'" 'timeout' -n "$RUN" -L "$LOG" --timeout "$v" "$OK"
done
for v in 0 -1 abc; do
	expect_error "--idle-timeout '$v'" 'idle-timeout' -n "$RUN" -L "$LOG" --idle-timeout "$v" "$OK"
done
for v in -1 99999999 abc 4294968; do
	expect_error "--grace '$v'" 'grace' -n "$RUN" -L "$LOG" --grace "$v" "$OK"
done
long65=$(printf '%065d' 0 | tr 0 n)
for v in 'a/b' '..' '.' '.x' 'a b' '' "$long65" 'a*' 'é'; do
	expect_error "-n '$v'" '(-n|name)' -n "$v" -L "$LOG" "$OK"
done
expect_error "unknown option --bogus" 'bogus' -n "$RUN" -L "$LOG" --bogus "$OK"
expect_error "unknown option -Z" '(-Z|Z)' -n "$RUN" -L "$LOG" -Z "$OK"
expect_error "-j without a value" '(-j|jobs)' -n "$RUN" -L "$LOG" -j
expect_error "--timeout without a value" 'timeout' -n "$RUN" -L "$LOG" --timeout
expect_error "two TASKFILEs" '.' -n "$RUN" -L "$LOG" "$OK" "$OK"

# log dir not usable: a file, or writable by others
touch "$SANDBOX/plainfile"
new_run logdir
expect_error "-L naming a regular file" "$(re_escape "$SANDBOX/plainfile")" -n "$RUN" -L "$SANDBOX/plainfile" "$OK"
mkdir -m 0777 "$SANDBOX/open-dir"
chmod 0777 "$SANDBOX/open-dir"
expect_error "-L naming a world-writable directory" "$(re_escape "$SANDBOX/open-dir")" -n "$RUN" -L "$SANDBOX/open-dir" "$OK"

# ---------------------------------------------------------------- accepted values
MARK=
accept() {
	local what=$1 rc
	shift
	N=$((N + 1))
	supervise "$@" >"$SANDBOX/out.$N" 2>"$SANDBOX/err.$N"
	rc=$?
	assert_eq 0 "$rc" "$what: exit status [$(head -c 300 "$SANDBOX/err.$N")]"
}
long64=$(printf '%064d' 0 | tr 0 n)
E2E_RUNS+=("$long64" "A-z_0.9")
rm -f "/dev/shm/oneshot.$E2E_UID.$long64" "/dev/shm/oneshot.$E2E_UID.A-z_0.9"
accept "-n of 64 characters" -n "$long64" -L "$SANDBOX/log-n64" "$OK"
assert_eq 1 "$(joblog_count "$SANDBOX/log-n64")" "-n of 64 characters: joblog lines"
accept "-n A-z_0.9" -n "A-z_0.9" -L "$SANDBOX/log-nchars" "$OK"
new_run acc
ACC_LOG=$LOG
accept "--timeout 4294967 --idle-timeout 4294967 --grace 4294967 --idle-after 0.001" \
	--timeout 4294967 --idle-timeout 4294967 --grace 4294967 --idle-after 0.001 -n "$RUN" -L "$LOG.1" "$OK"
accept "-j 1 --jobs=2 --name=... --log-dir=..." -j 1 --jobs=2 --name="$RUN" --log-dir="$LOG.2" "$OK"
accept "--grace 0 --idle-after 30.5" --grace 0 --idle-after 30.5 -n "$RUN" -L "$LOG.3" "$OK"

# ---------------------------------------------------------------- task file forms
# CRLF lines, comments, blank lines, indentation; numbering skips them
new_run crlf
F="$SANDBOX/crlf.tasks"
printf "# comment\r\n\r\nprintf ok >'%s/crlf1'\r\n   # indented comment\r\n\t\r\nexit 0\r\necho \$ONESHOT_TASK_ID\r\n" "$SANDBOX" >"$F"
supervise -n "$RUN" -L "$LOG" "$F" >"$SANDBOX/crlf.out" 2>&1
assert_eq 0 "$?" "CRLF task file: exit status [$(head -c 300 "$SANDBOX/crlf.out")]"
assert_eq ok "$(cat "$SANDBOX/crlf1" 2>/dev/null)" "CRLF task file: file written by task 1"
assert_no_file "$SANDBOX/crlf1"$'\r' "CRLF task file: a file name ending in CR"
assert_eq 3 "$(joblog_count "$LOG")" "CRLF task file: tasks (comments and blank lines skipped)"
assert_eq "exit 0" "$(joblog_col "$LOG" 2 Command)" "CRLF task file: task 2 Command (no CR)"
assert_eq 3 "$(tr -d '\r\n' <"$LOG/3.log" 2>/dev/null)" "CRLF task file: ONESHOT_TASK_ID of the third task"

# no newline at the end
new_run nonl
printf 'true\necho last' >"$SANDBOX/nonl.tasks"
supervise -n "$RUN" -L "$LOG" "$SANDBOX/nonl.tasks" >/dev/null 2>&1
assert_eq 0 "$?" "no final newline: exit status"
assert_eq 2 "$(joblog_count "$LOG")" "no final newline: tasks"
assert_eq last "$(tr -d '\r\n' <"$LOG/2.log" 2>/dev/null)" "no final newline: transcript of the last task"

# standard input: '-' and absent
printf 'echo in1\necho in2\n' >"$SANDBOX/stdin.tasks"
new_run dash
supervise -n "$RUN" -L "$LOG" - <"$SANDBOX/stdin.tasks" >/dev/null 2>&1
assert_eq 0 "$?" "TASKFILE -: exit status"
assert_eq 2 "$(joblog_count "$LOG")" "TASKFILE -: tasks"
assert_eq in2 "$(tr -d '\r\n' <"$LOG/2.log" 2>/dev/null)" "TASKFILE -: transcript 2"
new_run absent
supervise -n "$RUN" -L "$LOG" <"$SANDBOX/stdin.tasks" >/dev/null 2>&1
assert_eq 0 "$?" "TASKFILE absent: exit status"
assert_eq 2 "$(joblog_count "$LOG")" "TASKFILE absent: tasks"
cat "$SANDBOX/stdin.tasks" | supervise -n "$RUN" -L "$LOG.pipe" >/dev/null 2>&1
assert_eq 0 "$?" "TASKFILE absent, stdin a pipe: exit status"
assert_eq in1 "$(tr -d '\r\n' <"$LOG.pipe/1.log" 2>/dev/null)" "TASKFILE absent, stdin a pipe: transcript 1"

# the longest line accepted: 131071 bytes
new_run maxline
prefix='printf %s long; : '
{
	printf '%s' "$prefix"
	head -c $((131071 - ${#prefix})) /dev/zero | tr '\0' z
	printf '\n'
} >"$SANDBOX/maxline.tasks"
assert_eq 131072 "$(wc -c <"$SANDBOX/maxline.tasks")" "(test setup) 131071-byte line plus newline"
supervise -n "$RUN" -L "$LOG" "$SANDBOX/maxline.tasks" >"$SANDBOX/maxline.out" 2>&1
assert_eq 0 "$?" "131071-byte line: exit status [$(head -c 300 "$SANDBOX/maxline.out")]"
assert_eq long "$(cat "$LOG/1.log" 2>/dev/null)" "131071-byte line: the task ran"

# ---------------------------------------------------------------- joblog
new_run joblog
cat >"$SANDBOX/joblog.tasks" <<'EOF'
true
exit 3
kill -9 $$
no-such-command-oneshot-e2e
printf abc
EOF
t0=$(date +%s)
supervise -j 4 -n "$RUN" -L "$LOG" "$SANDBOX/joblog.tasks" >/dev/null 2>&1
rc=$?
t1=$(date +%s)
assert_eq 1 "$rc" "exit status when some tasks fail"
assert_eq "$JOBLOG_HEADER" "$(head -n 1 "$LOG/joblog" 2>/dev/null)" "joblog header line"
assert_eq 5 "$(joblog_count "$LOG")" "joblog task lines"
assert_eq "" "$(awk -F '\t' 'NF != 12 { print NR ": " NF " fields" }' "$LOG/joblog" 2>/dev/null)" "joblog lines with other than 12 tab-separated fields"
assert_eq "1 2 3 4 5" "$(awk -F '\t' 'NR > 1 { print $1 }' "$LOG/joblog" 2>/dev/null | sort -n | tr '\n' ' ' | sed 's/ $//')" "joblog Seq values"
# seq exitval signal state command
while IFS='|' read -r seq ev sg st cmd; do
	assert_eq ":" "$(joblog_col "$LOG" "$seq" Host)" "task $seq ($cmd) Host"
	assert_eq 0 "$(joblog_col "$LOG" "$seq" Send)" "task $seq ($cmd) Send"
	assert_eq "$ev" "$(joblog_col "$LOG" "$seq" Exitval)" "task $seq ($cmd) Exitval"
	assert_eq "$sg" "$(joblog_col "$LOG" "$seq" Signal)" "task $seq ($cmd) Signal"
	assert_eq "$st" "$(joblog_col "$LOG" "$seq" State)" "task $seq ($cmd) State"
	assert_eq "$cmd" "$(joblog_col "$LOG" "$seq" Command)" "task $seq Command"
	assert_eq "$(wc -c <"$LOG/$seq.log" 2>/dev/null)" "$(joblog_col "$LOG" "$seq" Receive)" "task $seq ($cmd) Receive = transcript size"
	s=$(joblog_col "$LOG" "$seq" Starttime)
	if assert_match '^[0-9]+\.[0-9]{3}$' "$s" "task $seq Starttime format (epoch seconds %.3f)"; then
		if [ "${s%.*}" -lt "$t0" ] || [ "${s%.*}" -gt "$t1" ]; then
			fail "task $seq Starttime $s outside the run [$t0, $t1]"
		fi
	fi
	assert_match '^[0-9]+\.[0-9]{3}$' "$(joblog_col "$LOG" "$seq" JobRuntime)" "task $seq JobRuntime format (seconds %.3f)"
done <<'EOF'
1|0|0|COMPLETED|true
2|3|0|FAILED|exit 3
3|-1|9|FAILED|kill -9 $$
4|127|0|FAILED|no-such-command-oneshot-e2e
5|0|0|COMPLETED|printf abc
EOF
assert_eq 3 "$(joblog_col "$LOG" 5 Receive)" "task 5 (printf abc) Receive"
if json_valid "$LOG/summary.json"; then
	assert_eq 1 "$(json_get "$LOG/summary.json" exit_status)" "summary.json exit_status"
	assert_eq 2 "$(json_get "$LOG/summary.json" counts.completed)" "summary.json counts.completed"
	assert_eq 3 "$(json_get "$LOG/summary.json" counts.failed)" "summary.json counts.failed"
	assert_eq 0 "$(json_get "$LOG/summary.json" counts.interrupted)" "summary.json counts.interrupted"
	assert_eq 0 "$(json_get "$LOG/summary.json" counts.not_started)" "summary.json counts.not_started"
	assert_eq 5 "$(json_get "$LOG/summary.json" total)" "summary.json total"
else
	fail "summary.json missing or not valid JSON"
fi
assert_eq "0" "$(json_get "$ACC_LOG.2/summary.json" exit_status 2>/dev/null)" "exit_status in summary.json of an all-COMPLETED run"

# ---------------------------------------------------------------- --help, --version
N=$((N + 1))
supervise --help >"$SANDBOX/out.$N" 2>"$SANDBOX/err.$N"
assert_eq 0 "$?" "--help: exit status"
grep -q -- '--jobs' "$SANDBOX/out.$N" || fail "--help: usage on stdout should list --jobs, got [$(head -c 200 "$SANDBOX/out.$N")]"
supervise -h >"$SANDBOX/out.h" 2>/dev/null
assert_eq 0 "$?" "-h: exit status"
cmp -s "$SANDBOX/out.h" "$SANDBOX/out.$N" || fail "-h and --help print different texts"
supervise --version >"$SANDBOX/out.v" 2>/dev/null
assert_eq 0 "$?" "--version: exit status"
assert_match '^oneshotd-supervise \(oneshot\) [0-9][^ ]*$' "$(cat "$SANDBOX/out.v")" "--version output"
