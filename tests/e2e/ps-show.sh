#!/bin/bash
# ps-show.sh: oneshot-ps -n NAME against a live run: the header line, one row
# per task with the right STATE/EXIT, whole command lines when stdout is not
# a terminal (sanitised: no raw control bytes), --state filtering, --json
# parsed by Python's json module with every documented field (a command line
# with quotes, backslash, control characters and invalid UTF-8 comes back
# exactly, invalid bytes as U+FFFD), usage errors (exit 2) and no such run
# (exit 1).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/ps-lib.sh"

new_run show
GO="$SANDBOX/go"
LONG="true $(printf 'x%.0s' $(seq 1 300)) end"
{
	echo 'echo hello'
	printf 'true # "q" \\ \001\033[31m \377\376 caf\303\251 \t end\n'
	echo 'exit 3'
	echo "i=0; while [ ! -e '$GO' ] && [ \$i -lt 600 ]; do sleep 0.05; i=\$((i+1)); done"
	echo "$LONG"
} >"$SANDBOX/tasks"

detach -j 4 -n "$RUN" -L "$LOG" "$SANDBOX/tasks"
wait_for '[ "$(ps_counts "$RUN")" = "0 1 0 0 3 1" ] || [ "$(ps_counts "$RUN")" = "0 0 1 0 3 1" ]' 20 ||
	fatal "run did not reach 3 completed, 1 failed, 1 running: counts [$(ps_counts "$RUN")]"

# --- columns ------------------------------------------------------------
ps_run -n "$RUN"
assert_eq 0 "$PS_RC" "-n exit status"
head=$(sed -n 1p "$SANDBOX/ps.out")
assert_match "^run $RUN  supervisor $SUP_PID  alive  jobs [0-9]+/4  elapsed [0-9.]+s  tasks 5: 1 (running|idle), 3 completed, 1 failed\$" \
	"$head" "header line"
assert_match '^ID +STATE +PID +ELAPSED +SILENT +OUTPUT +EXIT +COMMAND$' "$(sed -n 2p "$SANDBOX/ps.out")" \
	"column names"
assert_eq 7 "$(wc -l <"$SANDBOX/ps.out" | tr -d ' ')" "lines: header, column names, 5 tasks"
row() { awk -v id="$1" 'NR > 2 && $1 == id' "$SANDBOX/ps.out"; }
assert_match '^ 1 COMPLETED +[0-9]+ +[0-9.]+s +- +6 +0 +echo hello$' "$(row 1)" "row 1"
assert_match '^ 3 FAILED +[0-9]+ .* 3 +exit 3$' "$(row 3)" "row 3"
assert_match '^ 4 (RUNNING|IDLE) +[0-9]+ +[0-9.]+s +[0-9.]+s +0 +- +i=0; while' "$(row 4)" "row 4"
# not a terminal: the long command is whole
assert_eq "$LONG" "$(row 5 | sed 's/.* true x/true x/')" "row 5: whole command"
# control bytes never reach the output
assert_eq 0 "$(tr -cd '\001\033\011' <"$SANDBOX/ps.out" | wc -c | tr -d ' ')" "raw control bytes in the output"
row2=$(LC_ALL=C.UTF-8 psx -n "$RUN" | awk 'NR > 2 && $1 == 2')
assert_eq "true # \"q\" \\ ??[31m ?? caf"$'\303\251'" ? end" "$(sed "s/^.* 0  *true # /true # /" <<<"$row2")" "row 2 sanitised (UTF-8 locale)"
row2=$(psx -n "$RUN" | awk 'NR > 2 && $1 == 2')
assert_eq 'true # "q" \ ??[31m ?? caf?? ? end' "$(sed "s/^.* 0  *true # /true # /" <<<"$row2")" "row 2 sanitised (C locale)"

# --- --state --------------------------------------------------------------
ps_run -n "$RUN" --state failed
assert_eq 0 "$PS_RC" "--state failed exit status"
assert_eq "3" "$(awk 'NR > 2 { print $1 }' "$SANDBOX/ps.out" | tr '\n' ' ' | sed 's/ $//')" "--state failed rows"
ps_run -n "$RUN" --state Running,IDLE
assert_eq "4" "$(awk 'NR > 2 { print $1 }' "$SANDBOX/ps.out" | tr '\n' ' ' | sed 's/ $//')" "--state Running,IDLE rows"
ps_run -n "$RUN" --state completed,FAILED
assert_eq "1 2 3 5" "$(awk 'NR > 2 { print $1 }' "$SANDBOX/ps.out" | tr '\n' ' ' | sed 's/ $//')" "--state completed,FAILED rows"
for bad in bogus '' 'running,' 'running,,idle'; do
	ps_run -n "$RUN" --state "$bad"
	assert_eq 2 "$PS_RC" "--state '$bad' exit status"
done

# --- --json -------------------------------------------------------------
psx -n "$RUN" --json >"$SANDBOX/doc.json"
assert_eq 0 "$?" "--json exit status"
check=$(python3 - "$SANDBOX/doc.json" "$SANDBOX/tasks" "$RUN" "$SUP_PID" <<'PY'
import json, re, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
lines = open(sys.argv[2], "rb").read().split(b"\n")
run, sup = sys.argv[3], int(sys.argv[4])
errs = []
def want(cond, what):
    if not cond:
        errs.append(what)
r = doc["run"]
for k in ("name", "supervisor_pid", "alive", "jobs", "tokens_free", "total", "counts"):
    want(k in r, "run has no " + k)
want(r["name"] == run, "run.name %r" % r["name"])
want(r["supervisor_pid"] == sup, "run.supervisor_pid %r" % r["supervisor_pid"])
want(r["alive"] is True, "run.alive %r" % r["alive"])
want(r["jobs"] == 4 and r["total"] == 5, "run.jobs/total")
want(isinstance(r["tokens_free"], int) and 0 <= r["tokens_free"] <= 4, "run.tokens_free %r" % r["tokens_free"])
want(sorted(r["counts"]) == sorted(["created", "running", "idle", "interrupted", "completed", "failed"]),
     "run.counts keys %r" % sorted(r["counts"]))
want(r["counts"]["completed"] == 3 and r["counts"]["failed"] == 1, "run.counts %r" % r["counts"])
want(r["state"] == "active" and r["exit_status"] is None, "run.state/exit_status")
t = doc["tasks"]
want([x["id"] for x in t] == [1, 2, 3, 4, 5], "task ids")
iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
for x in t:
    for k in ("id", "state", "worker_pid", "pid", "exit_code", "signal", "interrupt_reason",
              "started_at", "ended_at", "silent_for", "bytes", "command"):
        want(k in x, "task %d has no %s" % (x["id"], k))
    want(isinstance(x["silent_for"], (int, float)), "task %d silent_for %r" % (x["id"], x["silent_for"]))
    want(iso.match(x["started_at"] or ""), "task %d started_at %r" % (x["id"], x["started_at"]))
    want(x["command"] == lines[x["id"] - 1].decode("utf-8", "replace"),
         "task %d command %r" % (x["id"], x["command"]))
want(t[0]["state"] == "COMPLETED" and t[0]["exit_code"] == 0 and t[0]["bytes"] == 6, "task 1 %r" % t[0])
want(iso.match(t[0]["ended_at"] or ""), "task 1 ended_at")
want(t[2]["state"] == "FAILED" and t[2]["exit_code"] == 3 and t[2]["signal"] is None, "task 3 %r" % t[2])
want(t[3]["state"] in ("RUNNING", "IDLE") and t[3]["exit_code"] is None and t[3]["ended_at"] is None,
     "task 4 %r" % t[3])
want(isinstance(t[3]["pid"], int) and isinstance(t[3]["worker_pid"], int), "task 4 pids")
want(t[3]["interrupt_reason"] is None, "task 4 interrupt_reason")
want("\ufffd\ufffd" in t[1]["command"] and "\x01\x1b[31m" in t[1]["command"], "task 2 escapes")
print("ok" if not errs else "; ".join(errs))
PY
)
assert_eq ok "$check" "--json document"
psx -n "$RUN" --json --state failed >"$SANDBOX/failed.json"
assert_eq "[3]" "$(pyjson "$SANDBOX/failed.json" '[t["id"] for t in d["tasks"]]')" "--json --state failed"
assert_eq "3" "$(pyjson "$SANDBOX/failed.json" 'd["run"]["counts"]["completed"]')" "--json --state keeps counts"

# --- errors ---------------------------------------------------------------
ps_run -n "nosuch-$RUN"
assert_eq 1 "$PS_RC" "no such run: exit status"
assert_match "no run named nosuch-$RUN" "$PS_ERR" "no such run: message"
ps_run -n "bad name"
assert_eq 2 "$PS_RC" "bad run name"
ps_run -n "$RUN" extra
assert_eq 2 "$PS_RC" "operand that is not a task id"
assert_match "'extra': not a task id" "$PS_ERR" "operand that is not a task id: message"
ps_run --bogus
assert_eq 2 "$PS_RC" "unknown option"
ps_run --wait
assert_eq 2 "$PS_RC" "--wait without -n"
ps_run -n "$RUN" -w 0.5 -f
assert_eq 2 "$PS_RC" "--watch with --follow"
ps_run -n "$RUN" --wait=abc
assert_eq 2 "$PS_RC" "--wait=abc"
ps_run --help
assert_eq 0 "$PS_RC" "--help"
ps_run --version
assert_match '^oneshot-ps \(oneshot\) ' "$PS_OUT" "--version"

touch "$GO"
wait_gone "$SUP_PID" 20
ps_run -n "$RUN"
assert_match "^run $RUN  supervisor $SUP_PID  done, exit 1  jobs 0/4  elapsed [0-9.]+s  tasks 5: 4 completed, 1 failed\$" \
	"$(sed -n 1p "$SANDBOX/ps.out")" "header after the end"
psx -n "$RUN" --json >"$SANDBOX/done.json"
assert_eq "False done 1" "$(pyjson "$SANDBOX/done.json" 'd["run"]["alive"], d["run"]["state"], d["run"]["exit_status"]' | tr -d "(),'")" \
	"--json after the end"
