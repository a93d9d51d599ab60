#!/bin/bash
# ctl-endpoint.sh: a worker's steering endpoint under hostile and broken
# clients (tests/e2e/steer-client.py), as the run's owner:
#  - nothing is served until asked: no socket of the task's worker before
#    the first oneshot-ctl send, one abstract socket after;
#  - a record of garbage, a short one, a long one, silence past the hello
#    time, a flood of resizes: each client is cut off; a proper client gets
#    the terminal;
#  - 100 clients at once cost the worker a bounded number of descriptors,
#    and the task's output is captured whole all along;
#  - the socket is gone when the task ends.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/ps-lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/ctl-lib.sh"

CLIENT="$ONESHOT_SRCDIR/tests/e2e/steer-client.py"
GO="$SANDBOX/go"

fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

new_run ep
# A task that writes a numbered line every 20 ms until released, then says
# how many it wrote: the transcript must hold every one of them.
cat >"$SANDBOX/ep.tasks" <<TASKS
i=0; while [ ! -e '$GO' ]; do i=\$((i+1)); echo "tick \$i"; sleep 0.02; done; echo "wrote \$i"
TASKS
detach -n "$RUN" -L "$LOG" "$SANDBOX/ep.tasks"
wait_state "$RUN" 1 RUNNING 10
worker=$(task_field "$RUN" 1 worker_pid)
assert_eq "" "$(endpoint "$worker")" "no endpoint before anyone asked"
base=$(fd_count "$worker")

ctl -n "$RUN" send --no-enter 1 ""
assert_eq 2 "$CTL_RC" "send of nothing is a usage error"
ctl -n "$RUN" send 1 --key C-l
assert_eq 0 "$CTL_RC" "a first send opens the endpoint ($CTL_ERR)"
addr=$(endpoint "$worker")
assert_match "^oneshot\\.steer\\.$E2E_UID\\.[0-9a-f]{32}$" "$addr" "one abstract endpoint, named by uid and key"

for mode in garbage short long; do
	assert_eq closed "$("$PYTHON" "$CLIENT" "$addr" "$mode")" "a $mode record: cut off"
done
out=$("$PYTHON" "$CLIENT" "$addr" silent)
assert_match "^closed [0-9.]+$" "$out" "a silent client: cut off"
secs=${out#closed }
assert_le "${secs%.*}" 4 "within the hello time (s)"
assert_eq "reply closed" "$("$PYTHON" "$CLIENT" "$addr" resize-flood)" "a flood of resizes: cut off"
assert_eq fd "$("$PYTHON" "$CLIENT" "$addr" hello)" "a proper client gets the terminal"

# 100 clients that connect and hold on
mkfifo "$SANDBOX/hold"
exec 7<>"$SANDBOX/hold"
pids=()
for i in $(seq 1 100); do
	"$PYTHON" "$CLIENT" "$addr" hold <"$SANDBOX/hold" >"$SANDBOX/hold.$i" 2>&1 &
	pids+=($!)
done
wait_for "[ \$(cat $SANDBOX/hold.* | grep -c .) -ge 100 ]" 30 || fail "the holding clients did not all finish their hello"
peak=$(fd_count "$worker")
assert_le "$peak" $((base + 1 + 8 + 2)) "100 clients cost the worker at most its 8 client slots (fds)"
served=$(cat "$SANDBOX"/hold.* | grep -c '^fd$')
assert_le "$served" 8 "at most 8 of them were served at once"
exec 7>&-
kill "${pids[@]}" 2>/dev/null
wait "${pids[@]}" 2>/dev/null
assert_eq RUNNING "$(task_field "$RUN" 1 state)" "the task runs on"

touch "$GO"
wait_state "$RUN" 1 COMPLETED 10
wrote=$(sed -n 's/^wrote \([0-9]*\).*/\1/p' "$LOG/1.log" | tr -d '\r')
ticks=$(grep -c 'tick [0-9]' "$LOG/1.log") # C-l's echo ^L may start a line
assert_eq "$wrote" "$ticks" "every line the task wrote is in its transcript"
wait_for "! proc_alive $worker" 10 || fail "the worker did not exit"
assert_eq 0 "$(grep -c "@$addr" /proc/net/unix)" "the endpoint is gone with its task"
