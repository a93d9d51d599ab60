#!/bin/bash
# hooks.sh: --on-event CMD tells someone.
#  - a hook that appends its environment and its standard input to a file:
#    one line per event (waiting, each task's end, the run's end), the
#    ONESHOT_* variables and the JSON line agreeing, the run's end last;
#  - a hook that sleeps 600 s does not delay the run's end beyond
#    --on-event-timeout, and is killed (said on stderr);
#  - a hook that exits 1 changes nothing in the run's outcome (said on
#    stderr);
#  - a bad --on-event-timeout: exit 2, one line naming it.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"

cat >"$SANDBOX/hook" <<EOF2
#!/bin/sh
read -r line
printf '%s|%s|%s|%s|%s|%s|%s|%s\n' "\$ONESHOT_EVENT" "\$ONESHOT_RUN" "\$ONESHOT_TASK" "\$ONESHOT_STATE" \\
	"\$ONESHOT_REASON" "\$ONESHOT_PROMPT" "\$ONESHOT_LOG" "\$line" >>"$SANDBOX/events"
EOF2
chmod +x "$SANDBOX/hook"

new_run tell
printf '%s\n' "bash -c 'read -p \"name? \" n'" "true" "exit 3" >"$SANDBOX/tell.tasks"
supervise -j 3 --idle-after 0.5 --waiting-timeout 2 --on-event "$SANDBOX/hook" -n "$RUN" -L "$LOG" \
	"$SANDBOX/tell.tasks" >/dev/null 2>"$SANDBOX/tell.err"
assert_eq 1 "$?" "the run's own exit status"
assert_eq 5 "$(wc -l <"$SANDBOX/events")" "one line per event: waiting, three ends, the run's end"
assert_match "^run-end\\|$RUN\\|0\\|DONE\\|" "$(tail -n 1 "$SANDBOX/events")" "the run's end, last"
assert_eq "waiting|$RUN|1|IDLE|read|name?|$LOG/1.log" \
	"$(grep '^waiting' "$SANDBOX/events" | cut -d'|' -f1-7)" "waiting: the variables"
assert_eq "end|$RUN|1|INTERRUPTED|waiting-timeout|name?|$LOG/1.log" \
	"$(grep '^end|[^|]*|1|' "$SANDBOX/events" | cut -d'|' -f1-7)" "task 1's end, after its wait"
assert_eq "end|$RUN|3|FAILED|" "$(grep '^end|[^|]*|3|' "$SANDBOX/events" | cut -d'|' -f1-5)" \
	"task 3's end"
assert_eq "waiting end" "$(grep '|1|' "$SANDBOX/events" | cut -d'|' -f1 | tr '\n' ' ' | sed 's/ $//')" \
	"task 1's events in order"
"$PYTHON" - "$SANDBOX/events" <<'PY' || fail "the JSON lines on the hooks' stdin do not agree with their variables"
import json, sys
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("|", 7)
    e = json.loads(f[7])
    assert (e["event"], e["run"], str(e["task"]), e["state"], e["reason"], e["prompt"], e["log"]) == tuple(f[:7]), line
PY

# --- a hook that hangs, a hook that fails --------------------------------------
new_run hang
printf 'true\n' >"$SANDBOX/hang.tasks"
t0=$(now_us)
supervise --on-event 'sleep 600' --on-event-timeout 1 -n "$RUN" -L "$LOG" "$SANDBOX/hang.tasks" \
	>/dev/null 2>"$SANDBOX/hang.err"
assert_eq 0 "$?" "a hanging hook: the run's status is its own"
assert_le "$(ms_since "$t0")" 6000 "and its end is not held up beyond the timeouts (ms)"
assert_match "hook for end of task 1 killed by SIGKILL \\(--on-event-timeout\\)" \
	"$(cat "$SANDBOX/hang.err")" "the killed hook is said"
new_run fail
supervise --on-event 'exit 1' -n "$RUN" -L "$LOG" "$SANDBOX/hang.tasks" >/dev/null 2>"$SANDBOX/fail.err"
assert_eq 0 "$?" "a failing hook changes nothing"
assert_match "hook for end of task 1 exited 1" "$(cat "$SANDBOX/fail.err")" "and is said"

new_run bad
supervise --on-event-timeout 0 --on-event true -n "$RUN" -L "$LOG" "$SANDBOX/hang.tasks" \
	>/dev/null 2>"$SANDBOX/bad.err"
assert_eq 2 "$?" "a bad --on-event-timeout: exit 2"
assert_match "on-event-timeout" "$(cat "$SANDBOX/bad.err")" "and says which"
