# tests/e2e/ctl-lib.sh: helpers for oneshot-ctl's end-to-end tests.
#
# Sourced after lib.sh and ps-lib.sh:
#   . "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
#   . "$ONESHOT_SRCDIR/tests/e2e/ps-lib.sh"
#   . "$ONESHOT_SRCDIR/tests/e2e/ctl-lib.sh"

CTL="$ONESHOT_BUILDDIR/ctl/oneshot-ctl"
[ -x "$CTL" ] || fatal "$CTL is not built"

# ctl ARGS...: oneshot-ctl under a hard limit of CTL_LIMIT seconds (default
# 30); sets CTL_RC, CTL_OUT, CTL_ERR.
ctl() {
	CTL_OUT=$(timeout -k 5 "${CTL_LIMIT:-30}" "$CTL" "$@" 2>"$SANDBOX/ctl.err")
	CTL_RC=$?
	CTL_ERR=$(cat "$SANDBOX/ctl.err")
	if [ "$CTL_RC" -eq 124 ] || [ "$CTL_RC" -eq 137 ]; then
		fail "oneshot-ctl $* did not exit within ${CTL_LIMIT:-30} s"
	fi
}

# task_field NAME ID FIELD: FIELD of task ID in oneshot-ps -n NAME --json
# (None when absent, NOTASK when there is no such task).
task_field() {
	psx -n "$1" --json 2>/dev/null | "$PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
t = [t for t in d["tasks"] if str(t["id"]) == sys.argv[1]]
print(t[0].get(sys.argv[2]) if t else "NOTASK")
' "$2" "$3" 2>/dev/null
}

# wait_state NAME ID STATE SEC: wait until task ID of run NAME is in STATE.
wait_state() {
	wait_for "[ \"\$(task_field $1 $2 state)\" = $3 ]" "$4" ||
		fail "task $2 of $1: still $(task_field "$1" "$2" state) after $4 s, not $3"
}

# wait_output NAME ID BYTES SEC: wait until task ID has written BYTES or more.
wait_output() {
	wait_for "[ \"\$(task_field $1 $2 bytes)\" -ge $3 ] 2>/dev/null" "$4" ||
		fail "task $2 of $1: wrote $(task_field "$1" "$2" bytes) bytes after $4 s, not $3"
}

# endpoint PID [KIND]: the abstract names of the unix sockets process PID
# holds open that are oneshot endpoints of KIND (steer, the default: a
# worker's; queue: a queue supervisor's), from /proc/net/unix by inode.
endpoint() {
	"$PYTHON" - "$1" "${2:-steer}" <<'PY'
import os, sys
pid, kind = sys.argv[1], sys.argv[2]
inodes = set()
for fd in os.listdir("/proc/%s/fd" % pid):
    try:
        link = os.readlink("/proc/%s/fd/%s" % (pid, fd))
    except OSError:
        continue
    if link.startswith("socket:["):
        inodes.add(link[8:-1])
for line in open("/proc/net/unix").read().splitlines()[1:]:
    f = line.split()
    if len(f) >= 8 and f[6] in inodes and f[7].startswith("@oneshot.%s." % kind):
        print(f[7][1:])
PY
}
