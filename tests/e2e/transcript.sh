#!/bin/bash
# transcript.sh: LOGDIR/ID.log holds exactly the bytes the task wrote to its
# terminal: several MiB of random bytes come back identical (default terminal
# has output post-processing off), two big streams at once do not mix, output
# written just before exiting is not lost, output is on disk while the task
# is still running and silent; with --crlf the terminal turns "\n"
# into "\r\n". The joblog's Receive column is the transcript's size; files are
# private (log dir 0700, transcripts 0600).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"

# ---- byte-exact, big, concurrent
head -c 8M /dev/urandom >"$SANDBOX/expected1"
head -c 3M /dev/urandom >"$SANDBOX/expected2"
for i in 1 2 3 4 5 6 7 8; do
	head -c $((i * 37000 + 11)) /dev/urandom >"$SANDBOX/small$i"
done
new_run bytes
{
	echo "cat '$SANDBOX/expected1'"
	echo "cat '$SANDBOX/expected2'"
	# 3..10: output immediately followed by exit: the worker must drain the PTY
	for i in 1 2 3 4 5 6 7 8; do
		echo "cat '$SANDBOX/small$i'"
	done
	# 11: no output at all
	echo "true"
	# 12: "a\nb\n" stays "a\nb\n" by default
	echo "printf 'a\\nb\\n'"
} >"$SANDBOX/tasks"

supervise -j 2 -n "$RUN" -L "$LOG" "$SANDBOX/tasks"
rc=$?
assert_eq 0 "$rc" "exit status"
for i in 1 2; do
	if ! cmp "$SANDBOX/expected$i" "$LOG/$i.log" >"$SANDBOX/cmp.out" 2>&1; then
		fail "task $i transcript differs from the $(wc -c <"$SANDBOX/expected$i")-byte stream it wrote: $(head -c 300 "$SANDBOX/cmp.out"); transcript size $(wc -c <"$LOG/$i.log" 2>/dev/null)"
	fi
done
for i in 1 2 3 4 5 6 7 8; do
	t=$((i + 2))
	cmp -s "$SANDBOX/small$i" "$LOG/$t.log" ||
		fail "task $t transcript (cat then exit) differs: expected $(wc -c <"$SANDBOX/small$i") bytes, got $(wc -c <"$LOG/$t.log" 2>/dev/null) bytes$(cmp "$SANDBOX/small$i" "$LOG/$t.log" 2>&1 | head -c 200 | sed 's/^/: /')"
done
assert_file "$LOG/11.log" "transcript of a silent task"
assert_eq 0 "$(wc -c <"$LOG/11.log" 2>/dev/null)" "size of a silent task's transcript"
assert_eq "610a620a" "$(od -An -tx1 "$LOG/12.log" 2>/dev/null | tr -d ' \n')" "bytes of printf 'a\\nb\\n' without --crlf (hex)"

# Receive = bytes of output
assert_eq 8388608 "$(joblog_col "$LOG" 1 Receive)" "joblog Receive of the 8 MiB task"
assert_eq 3145728 "$(joblog_col "$LOG" 2 Receive)" "joblog Receive of the 3 MiB task"
for t in 3 4 5 6 7 8 9 10 11 12; do
	assert_eq "$(wc -c <"$LOG/$t.log" 2>/dev/null)" "$(joblog_col "$LOG" $t Receive)" "joblog Receive of task $t vs its transcript size"
done

# modes
assert_eq 700 "$(stat -c %a "$LOG" 2>/dev/null)" "mode of the log dir created by the supervisor"
for t in 1 11 12; do
	assert_eq 600 "$(stat -c %a "$LOG/$t.log" 2>/dev/null)" "mode of $t.log"
done
# a missing parent is created too
new_run deep
supervise -n "$RUN" -L "$SANDBOX/a/b/c" - <<<"printf x" >/dev/null 2>&1
assert_eq 0 "$?" "exit status with a log dir whose parents are missing"
assert_eq x "$(cat "$SANDBOX/a/b/c/1.log" 2>/dev/null)" "transcript in a log dir whose parents were missing"

# ---- the transcript is current while the task runs: output is on disk
# while the task is silent, before it ends (appended as it arrives)
new_run live
GO="$SANDBOX/go.live"
cat >"$SANDBOX/tasks.live" <<EOF
echo first; i=0; while [ ! -e '$GO' ] && [ \$i -lt 600 ]; do sleep 0.05; i=\$((i+1)); done; echo second
EOF
start_bg -n "$RUN" -L "$LOG" "$SANDBOX/tasks.live"
if ! wait_for "[ \"\$(cat '$LOG/1.log' 2>/dev/null)\" = first ]" 10; then
	fail "transcript not current while the task is silent: 10 s after the task wrote \"first\\n\" and went quiet, $LOG/1.log holds [$(show "$(cat "$LOG/1.log" 2>/dev/null)")] ($(wc -c <"$LOG/1.log" 2>/dev/null) bytes)"
fi
touch "$GO"
wait_exit "$SUP_PID" 20
assert_eq 0 "$EXIT_STATUS" "live transcript run: exit status"
assert_eq "$(printf 'first\nsecond\n')" "$(cat "$LOG/1.log" 2>/dev/null)" "live transcript run: final transcript"

# ---- --crlf: the terminal translates "\n" to "\r\n"
new_run crlf
printf '%s\n' "printf 'a\\nb\\n'" "printf 'x\\r\\ny'" >"$SANDBOX/tasks.crlf"
supervise --crlf -n "$RUN" -L "$LOG" "$SANDBOX/tasks.crlf"
rc=$?
assert_eq 0 "$rc" "exit status with --crlf"
assert_eq "610d0a620d0a" "$(od -An -tx1 "$LOG/1.log" 2>/dev/null | tr -d ' \n')" "bytes of printf 'a\\nb\\n' with --crlf (hex)"
assert_eq "780d0d0a79" "$(od -An -tx1 "$LOG/2.log" 2>/dev/null | tr -d ' \n')" "bytes of printf 'x\\r\\ny' with --crlf (ONLCR only, hex)"
assert_eq 6 "$(joblog_col "$LOG" 1 Receive)" "joblog Receive with --crlf (bytes as received from the terminal)"

assert_no_survivors "$RUN" 3
