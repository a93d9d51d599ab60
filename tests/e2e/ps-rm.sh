#!/bin/bash
# ps-rm.sh: oneshot-ps --rm NAME is refused while the run is alive (exit 4,
# the table stays), removes a finished run's table (then -n says no such run,
# exit 1), removes an invalid table, and leaves the log directory alone.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/ps-lib.sh"

new_run rm
GO="$SANDBOX/go"
echo "i=0; while [ ! -e '$GO' ] && [ \$i -lt 600 ]; do sleep 0.05; i=\$((i+1)); done" >"$SANDBOX/tasks"
detach -j 1 -n "$RUN" -L "$LOG" "$SANDBOX/tasks"

ps_run --rm "$RUN"
assert_eq 4 "$PS_RC" "--rm of a live run"
assert_match "run $RUN is alive" "$PS_ERR" "--rm of a live run: message"
assert_file "$SHM" "table after a refused --rm"
ps_run -n "$RUN"
assert_eq 0 "$PS_RC" "-n after a refused --rm"

touch "$GO"
wait_gone "$SUP_PID" 20
ps_run --rm "$RUN"
assert_eq 0 "$PS_RC" "--rm of a finished run"
assert_no_file "$SHM" "table after --rm"
assert_file "$LOG/events.jsonl" "log directory after --rm"
ps_run -n "$RUN"
assert_eq 1 "$PS_RC" "-n after --rm"
ps_run --rm "$RUN"
assert_eq 1 "$PS_RC" "--rm again"
ps_run --rm "$RUN" -n "$RUN"
assert_eq 2 "$PS_RC" "--rm with -n"

# an invalid table can be removed
new_run junk
head -c 10000 /dev/urandom >"$SHM"
chmod 0600 "$SHM"
ps_run -n "$RUN"
assert_eq 3 "$PS_RC" "-n on the junk table"
ps_run --rm "$RUN"
assert_eq 0 "$PS_RC" "--rm of the junk table"
assert_no_file "$SHM" "junk table after --rm"
