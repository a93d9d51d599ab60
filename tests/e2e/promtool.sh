#!/bin/bash
# promtool.sh: what --metrics writes is accepted by Prometheus's own
# checker, `promtool check metrics` (Debian: prometheus; skipped, exit 77,
# without it): exit 0 and no lint message, for a run going on (a task
# running), for the same run finished (a task failed after a retry, one
# interrupted by --timeout), for the shards of one task list run with
# --shard, and for a queue.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"

command -v promtool >/dev/null 2>&1 || skip "promtool is not installed (Debian: prometheus)"

# promtool_ok FILE WHAT: promtool check metrics accepts FILE, silently
promtool_ok() {
	local out rc
	[ -s "$1" ] || { fail "$2: $1 is missing or empty"; return; }
	out=$(promtool check metrics <"$1" 2>&1)
	rc=$?
	assert_eq "0 " "$rc $out" "$2: promtool check metrics (status, lint output)"
}

cat >"$SANDBOX/tasks" <<EOT
sleep 30
exit 3
echo done
EOT

new_run mixed
M="$SANDBOX/mixed.prom"
start_bg -j 3 --retries 1 --timeout 8 --grace 1 --metrics "$M" -n "$RUN" -L "$LOG" "$SANDBOX/tasks" </dev/null 2>/dev/null
wait_for "[ -s '$M' ] && grep -q 'state=\"running\"} [1-9]' '$M'" 20 || fail "running run: metrics never showed a running task"
promtool_ok "$M" "running run"
wait_exit "$SUP_PID" 30
assert_eq 1 "$EXIT_STATUS" "finished run: exit status (a task failed, one timed out)"
grep -q 'reason="timeout"} 1' "$M" || fail "finished run: the timeout is not counted: $(grep interrupts "$M")"
grep -q 'oneshot_task_retries_total{run="[^"]*"} 1' "$M" || fail "finished run: the retry is not counted"
promtool_ok "$M" "finished run"

for k in 0 1 2; do
	new_run "shard$k"
	supervise --shard "$k/3" --metrics "$SANDBOX/shard$k.prom" -n "$RUN" -L "$LOG" "$SANDBOX/tasks" \
		</dev/null >/dev/null 2>&1
	promtool_ok "$SANDBOX/shard$k.prom" "shard $k/3"
done

new_run queue
Q="$SANDBOX/queue.prom"
supervise -d --queue --metrics "$Q" -n "$RUN" -L "$LOG" >/dev/null 2>&1
"$ONESHOT_BUILDDIR/ctl/oneshot-ctl" -n "$RUN" add true >/dev/null
"$ONESHOT_BUILDDIR/ctl/oneshot-ctl" -n "$RUN" close
wait_for "grep -q 'exit_status{run=\"[^\"]*\"} 0' '$Q' 2>/dev/null" 20 || fail "queue: the metrics never showed its end"
promtool_ok "$Q" "queue"
