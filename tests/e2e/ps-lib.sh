# tests/e2e/ps-lib.sh: helpers for oneshot-ps's end-to-end tests.
#
# Sourced after lib.sh (which gives the sandbox, new_run, wait_for, fail,
# the cleanup of runs and processes):
#
#   . "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
#   . "$ONESHOT_SRCDIR/tests/e2e/ps-lib.sh"

if [ ! -x "$PS" ]; then
	echo "$TEST: $PS is not built" >&2
	exit 99
fi

# psx ARGS...: oneshot-ps under a hard limit of PS_LIMIT seconds (default 30),
# for calls whose output is used directly; exit status 124 when killed.
psx() {
	timeout -k 5 "${PS_LIMIT:-30}" "$PS" "$@"
}

# ps_run ARGS...: run oneshot-ps under a hard limit of PS_LIMIT seconds
# (default 30) with stdin from /dev/null; sets PS_RC, PS_OUT and PS_ERR
# (also in the files $SANDBOX/ps.out and $SANDBOX/ps.err).
ps_run() {
	timeout -k 5 "${PS_LIMIT:-30}" "$PS" "$@" </dev/null >"$SANDBOX/ps.out" 2>"$SANDBOX/ps.err"
	PS_RC=$?
	PS_OUT=$(cat "$SANDBOX/ps.out")
	PS_ERR=$(cat "$SANDBOX/ps.err")
	if [ "$PS_RC" -eq 124 ] && [ "${PS_TIMEOUT_OK:-0}" != 1 ]; then
		fail "oneshot-ps $* did not exit within ${PS_LIMIT:-30} s"
	fi
	if [ "$PS_RC" -ge 128 ] && [ "$PS_RC" -ne 143 ]; then
		fail "oneshot-ps $* died of signal $((PS_RC - 128)); stderr: $PS_ERR"
	fi
}

# detach ARGS...: oneshotd-supervise -d ARGS; sets SUP_PID (the detached
# supervisor, killed at cleanup if still alive).
detach() {
	local out
	out=$(timeout -k 5 30 "$SUPERVISE" -d "$@") || fatal "oneshotd-supervise -d $* failed: [$out]"
	SUP_PID=${out##* }
	[[ $SUP_PID =~ ^[0-9]+$ ]] || fatal "oneshotd-supervise -d printed [$out], not 'NAME PID'"
	E2E_BG_PIDS+=("$SUP_PID")
}

# wait_gone PID TIMEOUT: wait for a process that is not our child to end.
wait_gone() {
	wait_for "! proc_alive $1" "$2" || fail "process $1 still alive after $2 s"
}

# pyjson FILE EXPR: print the Python expression EXPR over the JSON document
# in FILE, bound to d (prints BADJSON when FILE does not parse).
pyjson() {
	python3 - "$1" "$2" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1], encoding="utf-8"))
except Exception as e:
    print("BADJSON", e)
    sys.exit(0)
print(eval(sys.argv[2]))
PY
}

# ps_counts RUN: "created running idle interrupted completed failed" of RUN,
# from oneshot-ps --json (empty when it fails).
ps_counts() {
	psx -n "$1" --json 2>/dev/null | python3 -c '
import json, sys
c = json.load(sys.stdin)["run"]["counts"]
print(c["created"], c["running"], c["idle"], c["interrupted"], c["completed"], c["failed"])
' 2>/dev/null
}

# in_pty COLS ROWS INPUT_SCRIPT -- COMMAND...: run COMMAND on a new
# pseudo-terminal of that size; INPUT_SCRIPT is a list of "wait:TEXT" (until
# the output holds TEXT), "send:TEXT" (Python escapes allowed) and
# "sleep:SEC" steps separated by '|'.  Writes the raw output to
# $SANDBOX/pty.out and the terminal's lflag after the command ended to
# $SANDBOX/pty.lflag; returns the command's exit status (or 124 after 20 s).
in_pty() {
	local cols=$1 rows=$2 script=$3
	shift 4
	python3 - "$cols" "$rows" "$script" "$SANDBOX/pty.out" "$SANDBOX/pty.lflag" "$@" <<'PY'
import fcntl, os, pty, select, struct, sys, termios, time
cols, rows, script, out_path, lflag_path = sys.argv[1:6]
argv = sys.argv[6:]
size = struct.pack("HHHH", int(rows), int(cols), 0, 0)
pid, fd = pty.fork()
if pid == 0:
    # the size first, from the child: a program that looks once at start
    # must never see the 0x0 of a fresh terminal
    fcntl.ioctl(0, termios.TIOCSWINSZ, size)
    os.execv(argv[0], argv)
fcntl.ioctl(fd, termios.TIOCSWINSZ, size)
os.kill(pid, 28)  # SIGWINCH: the size may have been set after it looked
out = b""
deadline = time.time() + 20
def pump(t):
    global out
    r, _, _ = select.select([fd], [], [], t)
    if r:
        try:
            data = os.read(fd, 65536)
        except OSError:
            return False
        if not data:
            return False
        out += data
    return True
for step in (script.split("|") if script else []):
    kind, _, arg = step.partition(":")
    if kind == "wait":
        want = arg.encode().decode("unicode_escape").encode("latin-1")
        while want not in out and time.time() < deadline:
            if not pump(0.05):
                break
    elif kind == "send":
        os.write(fd, arg.encode().decode("unicode_escape").encode("latin-1"))
    elif kind == "sleep":
        end = time.time() + float(arg)
        while time.time() < end:
            pump(0.02)
status = None
while time.time() < deadline:
    p, st = os.waitpid(pid, os.WNOHANG)
    if p:
        status = os.waitstatus_to_exitcode(st)
        break
    pump(0.02)
while pump(0.05):
    pass
lflag = termios.tcgetattr(fd)[3] if status is not None else 0
open(out_path, "wb").write(out)
open(lflag_path, "w").write("%d %d\n" % (bool(lflag & termios.ICANON), bool(lflag & termios.ECHO)))
if status is None:
    os.kill(pid, 9)
    sys.exit(124)
sys.exit(status if status >= 0 else 128 - status)
PY
}
