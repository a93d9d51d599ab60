#!/bin/bash
# ctl-security.sh: only a run's owner and root may act on its tasks, as the
# kernel decides (signal permissions, peer credentials), never a file mode
# alone.  Needs root (to act as two users), setpriv and a user nobody that
# can run the binaries; skipped (77) otherwise.
#  - nobody, against root's live run: every subcommand refused (without -u:
#    no such run; with -u root: refused), nobody's signals to the worker
#    refused by the kernel, nobody's client of the open endpoint (its name
#    is public in /proc/net/unix) cut off without a terminal; the task, its
#    transcript and its state untouched;
#  - root acts on nobody's run (-u nobody): send and interrupt work;
#  - when a task ends its endpoint is gone.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/ps-lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/ctl-lib.sh"

. "$ONESHOT_SRCDIR/tests/e2e/nobody-lib.sh" "$CTL" "$SUPERVISE"
CLIENT="$ONESHOT_SRCDIR/tests/e2e/steer-client.py"
GO="$SANDBOX/go"
GATE="i=0; while [ ! -e '$GO' ] && [ \$i -lt 1200 ]; do sleep 0.05; i=\$((i+1)); done"

# --- nobody against root's run --------------------------------------------
new_run root
printf '%s\n' "python3 -c \"print('said', input('? '))\"" "$GATE" >"$SANDBOX/root.tasks"
detach -j 2 -n "$RUN" -L "$LOG" "$SANDBOX/root.tasks"
wait_for "grep -q '?' '$LOG/1.log' 2>/dev/null" 10 || fail "task 1 never asked"
wait_state "$RUN" 2 RUNNING 10
# open task 2's endpoint as root, so that nobody has something to aim at
ctl -n "$RUN" send 2 --key C-l
assert_eq 0 "$CTL_RC" "root opens task 2's endpoint ($CTL_ERR)"
worker=$(task_field "$RUN" 2 worker_pid)
addr=$(endpoint "$worker")
assert_match "^oneshot\\.steer\\.0\\." "$addr" "the endpoint's name is public in /proc/net/unix"
before=$(sha256sum <"$LOG/1.log")

for cmd in "interrupt 1" "send 1 y" "screen 1" "attach --read-only 1"; do
	out=$(as_nobody "$CTL" -n "$RUN" $cmd 2>&1)
	rc=$?
	assert_eq 1 "$rc" "nobody: $cmd without -u: exit status"
	assert_match "no run named $RUN" "$out" "nobody: $cmd without -u: no such run for nobody"
	out=$(as_nobody "$CTL" -u root -n "$RUN" $cmd 2>&1)
	rc=$?
	assert_eq 1 "$rc" "nobody: -u root $cmd: exit status"
	assert_match "only root can act on another user's runs" "$out" "nobody: -u root $cmd: refused"
done
assert_eq 1 "$(as_nobody bash -c "kill -USR1 $worker 2>/dev/null; echo \$?")" \
	"nobody cannot ask the worker for its endpoint (kernel: EPERM)"
assert_eq 1 "$(as_nobody bash -c "kill -TERM $worker 2>/dev/null; echo \$?")" \
	"nobody cannot signal the worker"
assert_eq closed "$(as_nobody "$PYTHON" "$CLIENT" "$addr" hello)" \
	"nobody's client of the endpoint is cut off, without a terminal"
assert_eq "RUNNING RUNNING" "$(task_field "$RUN" 1 state) $(task_field "$RUN" 2 state)" \
	"both tasks still run"
assert_eq "$before" "$(sha256sum <"$LOG/1.log")" "task 1's transcript untouched"
ctl -n "$RUN" send 1 root
wait_state "$RUN" 1 COMPLETED 10
assert_match "said root" "$(cat "$LOG/1.log")" "root's answer, and only it, reached the task"
touch "$GO"
wait_state "$RUN" 2 COMPLETED 10
wait_for "! proc_alive $worker" 10 || fail "task 2's worker did not exit"
assert_eq 0 "$(grep -c "@$addr" /proc/net/unix)" "the endpoint is gone with its task"
rm -f "$GO"

# --- root acts on nobody's run ----------------------------------------------
new_run nobody
mkdir -m 0700 "$SANDBOX/nlog" && chown "$NOBODY" "$SANDBOX/nlog"
printf '%s\n' "python3 -c \"print('said', input('? '))\"" "sleep 30" >"$SANDBOX/nobody.tasks"
chmod 0644 "$SANDBOX/nobody.tasks"
out=$(as_nobody timeout 30 "$SUPERVISE" -d -j 2 -n "$RUN" -L "$SANDBOX/nlog" "$SANDBOX/nobody.tasks") ||
	fatal "nobody's run did not start: $out"
E2E_BG_PIDS+=("${out##* }")
wait_for "grep -q '?' '$SANDBOX/nlog/1.log' 2>/dev/null" 10 || fail "nobody's task 1 never asked"
ctl -u nobody -n "$RUN" send 1 from-root
assert_eq 0 "$CTL_RC" "root sends to nobody's task ($CTL_ERR)"
ctl -u nobody -n "$RUN" interrupt 2
assert_eq 0 "$CTL_RC" "root interrupts nobody's task ($CTL_ERR)"
wait_for "grep -q 'said from-root' '$SANDBOX/nlog/1.log'" 10 || fail "root's answer did not reach nobody's task"
rm -f "/dev/shm/oneshot.$NOBODY.$RUN"
