# tests/e2e/nobody-lib.sh: acting as a second user, for the tests of what
# another user can and cannot do (rel-security.sh, ctl-security.sh).
#
# Sourced after lib.sh, with the programs user nobody must be able to run:
#   . "$ONESHOT_SRCDIR/tests/e2e/nobody-lib.sh" "$PS" "$SUPERVISE"
# Skips (77) unless run as root with setpriv and a user nobody that can run
# them.  Sets NOBODY, NOGROUP; as_nobody CMD... runs CMD as nobody, with a
# HOME of its own in the sandbox (which it makes world-readable).

[ "$(id -u)" -eq 0 ] || skip "needs root to act as two users"
command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
NOBODY=$(id -u nobody 2>/dev/null) || skip "no user nobody"
NOGROUP=$(id -g nobody)
as_nobody() {
	setpriv --reuid="$NOBODY" --regid="$NOGROUP" --clear-groups \
		env -u XDG_STATE_HOME HOME="$SANDBOX/home" "$@"
}
for prog in "$@"; do
	as_nobody test -x "$prog" || skip "user nobody cannot run $prog (build directory not reachable)"
done
chmod 0755 "$SANDBOX"
mkdir -m 0700 "$SANDBOX/home"
chown "$NOBODY" "$SANDBOX/home"
