#!/bin/bash
# ps-follow.sh: oneshot-ps -f prints state changes as they happen and ends
# with the run: with --idle-after 0.5 a task that prints, pauses and goes on
# is followed through CREATED -> RUNNING -> IDLE -> RUNNING -> COMPLETED; the
# IDLE line appears while the task is still silent (not at the end); --json
# gives one JSON object per line; on a finished run -f prints the history and
# returns; -f --wait exits with the run's status.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/ps-lib.sh"

new_run follow
GO="$SANDBOX/go"
cat >"$SANDBOX/tasks" <<EOF2
echo one; i=0; while [ ! -e '$GO' ] && [ \$i -lt 600 ]; do sleep 0.05; i=\$((i+1)); done; echo two
EOF2
detach -j 1 --idle-after 0.5 -n "$RUN" -L "$LOG" "$SANDBOX/tasks"
timeout 60 "$PS" -n "$RUN" -f --json >"$SANDBOX/follow.json" 2>"$SANDBOX/follow.err" &
fj=$!
timeout 60 "$PS" -n "$RUN" --follow >"$SANDBOX/follow.txt" 2>&1 &
fh=$!

# The IDLE change shows up while the task is silent, before the run ends.
wait_for 'grep -q "\"to\":\"IDLE\"" "$SANDBOX/follow.json"' 20 ||
	fail "--follow --json did not print the IDLE change within 20 s: [$(cat "$SANDBOX/follow.json")]"
wait_for 'grep -q "task 1: RUNNING -> IDLE (detect_silence)" "$SANDBOX/follow.txt"' 5 ||
	fail "--follow did not print the IDLE change: [$(cat "$SANDBOX/follow.txt")]"
proc_alive "$SUP_PID" || fail "the run ended before the IDLE change was followed"
touch "$GO"

wait "$fj"
assert_eq 0 "$?" "--follow --json ends with the run, exit 0"
wait "$fh"
assert_eq 0 "$?" "--follow ends with the run, exit 0"
proc_alive "$SUP_PID" && fail "--follow ended while the supervisor was still alive"

chain=$(python3 - "$SANDBOX/follow.json" "$RUN" <<'PY'
import json, sys
steps = []
for line in open(sys.argv[1], encoding="utf-8"):
    e = json.loads(line)
    assert set(e) == {"time", "run", "task", "event", "from", "to", "reason"}, e
    assert e["run"] == sys.argv[2] and e["task"] == 1, e
    if not steps:
        steps.append(e["from"])
    assert steps[-1] == e["from"], (steps, e)
    steps.append(e["to"])
print(" ".join(steps))
PY
)
assert_eq "CREATED RUNNING IDLE RUNNING COMPLETED" "$chain" "--follow --json state chain"
assert_eq "" "$(cat "$SANDBOX/follow.err")" "--follow --json stderr"
assert_match '^[0-9T:.-]+Z task 1: CREATED -> RUNNING \(start\)$' "$(sed -n 1p "$SANDBOX/follow.txt")" "human line 1"
assert_eq "start detect_silence detect_activity finish" \
	"$(sed 's/.*(\(.*\))$/\1/' "$SANDBOX/follow.txt" | tr '\n' ' ' | sed 's/ $//')" "human event names"

# A finished run: the whole history at once, the same as events.jsonl.
t0=$(now_us)
ps_run -n "$RUN" -f --json
assert_eq 0 "$PS_RC" "-f on the finished run"
assert_le "$(ms_since "$t0")" 3000 "-f on a finished run returns at once (ms)"
assert_eq "$(grep -c "\"run\":\"$RUN\"" "$LOG/events.jsonl")" "$(wc -l <"$SANDBOX/ps.out" | tr -d ' ')" \
	"-f on the finished run: every event of events.jsonl"

# -f --wait: the run's exit status.
new_run failing
printf 'exit 4\ntrue\n' >"$SANDBOX/failing"
detach -j 1 -n "$RUN" -L "$LOG" "$SANDBOX/failing"
ps_run -n "$RUN" -f --wait
assert_eq 1 "$PS_RC" "-f --wait: the run's exit status"
assert_match 'task 1: RUNNING -> FAILED' "$PS_OUT" "-f --wait printed the failure"
