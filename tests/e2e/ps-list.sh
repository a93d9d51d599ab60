#!/bin/bash
# ps-list.sh: oneshot-ps with no run named: one line per run (NAME OWNER PID
# ALIVE JOBS TOTAL and counts per state) for a live and then a finished run,
# the same as JSON, and the one-line message when a user has no runs.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/ps-lib.sh"

new_run list
GO="$SANDBOX/go"
cat >"$SANDBOX/tasks" <<EOF2
i=0; while [ ! -e '$GO' ] && [ \$i -lt 600 ]; do sleep 0.05; i=\$((i+1)); done
true
exit 2
EOF2
detach -j 1 -n "$RUN" -L "$LOG" "$SANDBOX/tasks"
wait_for '[ "$(ps_counts "$RUN")" = "2 1 0 0 0 0" ] || [ "$(ps_counts "$RUN")" = "2 0 1 0 0 0" ]' 20 ||
	fail "task 1 never ran: counts [$(ps_counts "$RUN")]"

line() { awk -v r="$RUN" '$1 == r' "$SANDBOX/ps.out"; }
# list_ok WHAT: exit 0, or 3 because of another test's invalid table (tests
# may run in parallel), never because of this run
list_ok() {
	assert_match '^[03]$' "$PS_RC" "$1: exit status"
	case $PS_ERR in *"$RUN"*) fail "$1: message about this run: $PS_ERR" ;; esac
}
ps_run
list_ok "list"
assert_match '^NAME +OWNER +PID +ALIVE +JOBS +TOTAL +CREATED +RUNNING +IDLE +INTERRUPTED +COMPLETED +FAILED +STARTED$' \
	"$(sed -n 1p "$SANDBOX/ps.out")" "list heading"
assert_match "^$RUN +$(id -un) +$SUP_PID +yes +1 +3 +2 +[01] +[01] +0 +0 +0 +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}\$" \
	"$(line)" "list line of the live run"
psx --json >"$SANDBOX/list.json" 2>"$SANDBOX/ps.err"
PS_RC=$? PS_ERR=$(cat "$SANDBOX/ps.err")
list_ok "list --json"
assert_eq "True 3 1 $SUP_PID" \
	"$(pyjson "$SANDBOX/list.json" '" ".join(str(x) for r in d["runs"] if r["name"] == "'"$RUN"'" for x in (r["alive"], r["total"], r["jobs"], r["supervisor_pid"]))')" \
	"list --json entry"

touch "$GO"
wait_gone "$SUP_PID" 20
ps_run
list_ok "list after the end"
assert_match "^$RUN +$(id -un) +$SUP_PID +no +1 +3 +0 +0 +0 +0 +2 +1 " "$(line)" "list line of the finished run"

# A user with no runs gets one line, exit 0 (a uid nobody has).
if [ "$(id -u)" -eq 0 ]; then
	other=$((3000000000 + $$))
	ps_run -u "$other"
	assert_eq 0 "$PS_RC" "list for a user without runs: exit status"
	assert_eq "no runs" "$PS_OUT" "list for a user without runs"
	ps_run -u "$other" --json
	assert_eq "[]" "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["runs"])' <"$SANDBOX/ps.out")" \
		"list --json for a user without runs"
else
	ps_run -u 0
	assert_eq 1 "$PS_RC" "non-root -u 0"
fi
