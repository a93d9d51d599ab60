#!/bin/bash
# ps-users.sh: another user's runs are not readable or removable by a
# non-root user; root sees every user's runs and picks one with -u.  Needs
# root (to act as two users) and setpriv; skipped otherwise.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/ps-lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root to act as two users"
command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
NOBODY=$(id -u nobody 2>/dev/null) || skip "no user nobody"
as_nobody() {
	setpriv --reuid="$NOBODY" --regid="$(id -g nobody)" --clear-groups \
		env -u XDG_STATE_HOME HOME="$SANDBOX/home" "$@"
}
as_nobody test -x "$PS" || skip "user nobody cannot run $PS (build directory not reachable)"
as_nobody test -x "$SUPERVISE" || skip "user nobody cannot run $SUPERVISE"
chmod 0755 "$SANDBOX"

# a run of root's
new_run root
printf 'true\n' >"$SANDBOX/tasks"
chmod 0644 "$SANDBOX/tasks"
supervise -n "$RUN" -L "$LOG" "$SANDBOX/tasks" || fail "root's run failed"
ROOT_RUN=$RUN

# nobody does not see it, cannot read it, cannot remove it
out=$(as_nobody timeout 30 "$PS" 2>&1)
assert_eq 0 "$?" "nobody's list: exit status"
case $out in *"$ROOT_RUN"*) fail "nobody's list shows root's run: [$out]" ;; esac
out=$(as_nobody timeout 30 "$PS" -n "$ROOT_RUN" 2>&1)
assert_eq 1 "$?" "nobody -n root's run"
out=$(as_nobody timeout 30 "$PS" -n "$ROOT_RUN" -u 0 2>&1)
assert_eq 1 "$?" "nobody -n root's run -u 0"
assert_match "only root" "$out" "nobody -u 0: message"
out=$(as_nobody timeout 30 "$PS" --rm "$ROOT_RUN" -u 0 2>&1)
assert_eq 1 "$?" "nobody --rm root's run -u 0"
out=$(as_nobody timeout 30 "$PS" --rm "$ROOT_RUN" 2>&1)
assert_eq 1 "$?" "nobody --rm root's run"
assert_file "/dev/shm/oneshot.0.$ROOT_RUN" "root's table after nobody's --rm"

# a run of nobody's, with the same name as one of root's
mkdir -p "$SANDBOX/home"
chown "$NOBODY" "$SANDBOX/home"
NOBODY_SHM="/dev/shm/oneshot.$NOBODY.$ROOT_RUN"
as_nobody timeout 30 "$SUPERVISE" -n "$ROOT_RUN" -L "$SANDBOX/home/log" "$SANDBOX/tasks" ||
	fail "nobody's run failed"
trap 'st=$?; rm -f "$NOBODY_SHM"; (exit $st); e2e_cleanup' EXIT
out=$(as_nobody timeout 30 "$PS" -n "$ROOT_RUN" 2>&1)
assert_eq 0 "$?" "nobody -n own run: exit status"
assert_match "^run $ROOT_RUN " "$out" "nobody -n own run"

# root: both in the list; -n finds root's own first; -u picks nobody's
out=$(psx)
assert_eq 2 "$(grep -c "^$ROOT_RUN " <<<"$out")" "root's list shows both users' runs"
psx -n "$ROOT_RUN" --json >"$SANDBOX/r.json"
assert_eq 0 "$(pyjson "$SANDBOX/r.json" 'd["run"]["owner_uid"]')" "root -n: its own run first"
psx -n "$ROOT_RUN" -u nobody --json >"$SANDBOX/n.json"
assert_eq "$NOBODY" "$(pyjson "$SANDBOX/n.json" 'd["run"]["owner_uid"]')" "root -n -u nobody"
# root without a run of that name finds the one other user's
rm -f "/dev/shm/oneshot.0.$ROOT_RUN"
psx -n "$ROOT_RUN" --json >"$SANDBOX/n2.json"
assert_eq "$NOBODY" "$(pyjson "$SANDBOX/n2.json" 'd["run"]["owner_uid"]')" "root -n finds the only owner"
psx --rm "$ROOT_RUN" -u "$NOBODY"
assert_eq 0 "$?" "root --rm -u nobody"
assert_no_file "$NOBODY_SHM" "nobody's table after root's --rm"
