#!/bin/bash
# ps-waiting.sh: a task waiting for input is shown as part of IDLE, not as a
# seventh state.  `read -p "name? "` with --idle-after 0.5 is found waiting
# by its worker (the kernel: it reads its terminal), beside a `sleep 60`
# that is as silent but waits for nothing:
#  - oneshot-ps: STATE says IDLE? for it and IDLE for the sleep, the header
#    "2 idle (1 waiting)"; --state waiting lists it alone (any case, and in
#    a list with other states), --state idle both;
#  - --json: "waiting" is {"since", "why": "read", "prompt": "name? "} for
#    it (its "state" stays "IDLE"), null for the sleep;
#  - --metrics: oneshot_tasks_waiting is 1, with its HELP and TYPE;
#  - --follow --json has one "waiting" event for it (from and to IDLE,
#    reason "read", its prompt) and none for the sleep; --follow prints
#    "task 1: waiting for input (read): "name? "";
#  - after a shutdown: nothing is IDLE? any more, the gauge is 0, and the
#    end-of-run report (supervisor.log) says "waiting for input" with the
#    prompt for a task exactly when the table says it ended while waiting.
# Skipped while oneshotd-supervise has no --waiting-timeout: the worker that
# finds waiting tasks comes with it.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/ps-lib.sh"

"$SUPERVISE" --help 2>/dev/null | grep -q -e '--waiting-timeout' ||
	skip "oneshotd-supervise has no --waiting-timeout: no worker here finds tasks waiting for input"

new_run wait
cat >"$SANDBOX/tasks" <<'EOF'
bash -c 'read -p "name? " n'
sleep 60
EOF
METRICS="$SANDBOX/run.prom"
detach -j 2 --idle-after 0.5 --metrics "$METRICS" -n "$RUN" -L "$LOG" "$SANDBOX/tasks"
timeout 90 "$PS" -n "$RUN" -f --json >"$SANDBOX/follow.json" 2>"$SANDBOX/follow.err" &
fj=$!
timeout 90 "$PS" -n "$RUN" -f >"$SANDBOX/follow.txt" 2>&1 &
fh=$!

# task_field ID EXPR: EXPR over task ID's object (bound to t) of a fresh
# oneshot-ps --json, or NONE when it cannot be had
task_field() {
	psx -n "$RUN" --json 2>/dev/null | "$PYTHON" -c '
import json, sys
try:
    t = [x for x in json.load(sys.stdin)["tasks"] if x["id"] == int(sys.argv[1])][0]
    print(eval(sys.argv[2]))
except Exception:
    print("NONE")
' "$1" "$2"
}

wait_for '[ "$(task_field 1 "t[\"waiting\"] is not None")" = True ]' 30 ||
	fatal "task 1 was not found waiting within 30 s: $(psx -n "$RUN" --json 2>&1)"
wait_for '[ "$(task_field 2 "t[\"state\"]")" = IDLE ]' 20 ||
	fatal "task 2 (sleep 60) did not become IDLE within 20 s: $(psx -n "$RUN" 2>&1)"

# --- columns and --state -------------------------------------------------
ps_run -n "$RUN"
assert_eq 0 "$PS_RC" "-n: exit status"
row() { awk -v id="$1" 'NR > 2 && $1 == id' "$SANDBOX/ps.out"; }
assert_match '^ 1 IDLE\? +[0-9]+ ' "$(row 1)" "row 1: STATE IDLE?"
assert_match '^ 2 IDLE +[0-9]+ .* sleep 60$' "$(row 2)" "row 2: STATE IDLE (sleep is not waiting)"
assert_match "  tasks 2: 2 idle \\(1 waiting\\)\$" "$(sed -n 1p "$SANDBOX/ps.out")" "header line"
ids() { awk 'NR > 2 { print $1 }' "$SANDBOX/ps.out" | tr '\n' ' ' | sed 's/ $//'; }
for list in waiting WAITING Waiting,running completed,waiting; do
	ps_run -n "$RUN" --state "$list"
	assert_eq 0 "$PS_RC" "--state $list: exit status"
	assert_eq 1 "$(ids)" "--state $list: rows"
done
ps_run -n "$RUN" --state idle
assert_eq "1 2" "$(ids)" "--state idle: the waiting task is IDLE too"
ps_run -n "$RUN" --state waiting,bogus
assert_eq 2 "$PS_RC" "--state waiting,bogus: usage error"

# --- --json -------------------------------------------------------------
psx -n "$RUN" --json >"$SANDBOX/doc.json"
assert_eq 0 "$?" "--json: exit status"
check=$("$PYTHON" - "$SANDBOX/doc.json" <<'PY'
import datetime, json, re, sys, time
doc = json.load(open(sys.argv[1], encoding="utf-8"))
errs = []
def want(cond, what):
    if not cond:
        errs.append(what)
t = {x["id"]: x for x in doc["tasks"]}
w = t[1]["waiting"]
want(t[1]["state"] == "IDLE", "task 1 state %r (waiting is part of IDLE)" % t[1]["state"])
want(isinstance(w, dict) and sorted(w) == ["prompt", "since", "why"], "task 1 waiting %r" % (w,))
if isinstance(w, dict):
    want(w.get("why") == "read", "task 1 waiting.why %r" % w.get("why"))
    want(isinstance(w.get("prompt"), str) and w["prompt"].strip() == "name?",
         "task 1 waiting.prompt %r" % w.get("prompt"))
    since = w.get("since") or ""
    want(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", since), "waiting.since %r" % since)
    if re.match(r"^\d{4}-", since):
        s = datetime.datetime.fromisoformat(since.replace("Z", "+00:00")).timestamp()
        st = datetime.datetime.fromisoformat(t[1]["started_at"].replace("Z", "+00:00")).timestamp()
        # not before the start, not in the future
        want(st - 0.01 <= s <= time.time() + 1, "waiting.since %s, started_at %s" % (since, t[1]["started_at"]))
want(t[2]["state"] == "IDLE" and t[2]["waiting"] is None, "task 2 %r %r" % (t[2]["state"], t[2]["waiting"]))
want(doc["run"]["counts"]["idle"] == 2, "counts %r" % doc["run"]["counts"])
print("ok" if not errs else "; ".join(errs))
PY
)
assert_eq ok "$check" "--json: the waiting member"
psx -n "$RUN" --json --state waiting >"$SANDBOX/waiting.json"
assert_eq "[1]" "$(pyjson "$SANDBOX/waiting.json" '[t["id"] for t in d["tasks"]]')" "--json --state waiting"

# --- --metrics ------------------------------------------------------------
# rewritten every 5 s: wait for a file written since task 1 waits
wait_for 'grep -qxF "oneshot_tasks_waiting{run=\"$RUN\"} 1" "$METRICS"' 30 ||
	fail "--metrics: no 'oneshot_tasks_waiting{run=\"$RUN\"} 1' within 30 s: [$(grep waiting "$METRICS")]"
assert_eq 1 "$(grep -cxF '# TYPE oneshot_tasks_waiting gauge' "$METRICS")" "--metrics: TYPE line"
assert_eq 1 "$(grep -c '^# HELP oneshot_tasks_waiting .' "$METRICS")" "--metrics: HELP line"

# --- --follow -------------------------------------------------------------
wait_for 'grep -q "\"event\":\"waiting\"" "$SANDBOX/follow.json"' 20 ||
	fail "--follow --json printed no waiting event within 20 s: [$(cat "$SANDBOX/follow.json")]"
wait_for 'grep -q "task 1: waiting for input" "$SANDBOX/follow.txt"' 20 ||
	fail "--follow printed no waiting line within 20 s: [$(cat "$SANDBOX/follow.txt")]"
assert_match '^[0-9T:.-]+Z task 1: waiting for input \(read\): "name\? ?"$' \
	"$(grep 'waiting for input' "$SANDBOX/follow.txt")" "--follow: the waiting line"
check=$("$PYTHON" - "$SANDBOX/follow.json" "$RUN" <<'PY'
import json, sys
errs, waits = [], []
for line in open(sys.argv[1], encoding="utf-8"):
    e = json.loads(line)
    if e.get("event") == "waiting":
        waits.append(e)
if len(waits) != 1:
    errs.append("%d waiting events: %r" % (len(waits), waits))
for e in waits:
    if e["run"] != sys.argv[2] or e["task"] != 1 or e["from"] != "IDLE" or e["to"] != "IDLE":
        errs.append("waiting event %r" % e)
    if e["reason"] != "read":
        errs.append("waiting event reason %r" % e["reason"])
    if not isinstance(e.get("prompt"), str) or e["prompt"].strip() != "name?":
        errs.append("waiting event prompt %r" % e.get("prompt"))
print("ok" if not errs else "; ".join(errs))
PY
)
assert_eq ok "$check" "--follow --json: the waiting event"

# --- the end: a shutdown while task 1 waits ---------------------------------
kill -TERM "$SUP_PID"
wait_gone "$SUP_PID" 30
wait "$fj"
assert_eq 0 "$?" "--follow --json ends with the run"
wait "$fh"
ps_run -n "$RUN" --state waiting
assert_eq "" "$(ids)" "--state waiting after the end: no task is IDLE"
ps_run -n "$RUN"
assert_eq 0 "$(grep -c 'IDLE?' "$SANDBOX/ps.out")" "no IDLE? after the end"
assert_eq 1 "$(grep -cxF "oneshot_tasks_waiting{run=\"$RUN\"} 0" "$METRICS")" "--metrics at the end: 0 waiting"
report=$(grep -E '^  task [0-9]+ ' "$LOG/supervisor.log")
assert_eq INTERRUPTED "$(task_field 1 't["state"]')" "task 1 after the shutdown"
if [ "$(task_field 1 't["waiting"] is not None')" = True ]; then
	assert_match '^  task 1 INTERRUPTED \(shutdown, waiting for input: "name\? ?"\): bash -c' \
		"$(grep '^  task 1 ' <<<"$report")" "report: task 1 ended while waiting"
else
	note "task 1 did not keep its waiting mark when it was interrupted"
	assert_eq "" "$(grep 'waiting for input' <<<"$report")" "report: no task said to wait"
fi
assert_match '^  task 2 INTERRUPTED \(shutdown\): sleep 60$' "$(grep '^  task 2 ' <<<"$report")" \
	"report: task 2 did not wait"
