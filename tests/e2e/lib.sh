# tests/e2e/lib.sh: helpers shared by the end-to-end tests of oneshotd-supervise.
#
# Sourced (from bash) by every tests/e2e/*.sh script:
#
#   #!/bin/bash
#   [ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
#   . "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
#
# The automake harness gives ONESHOT_BUILDDIR and ONESHOT_SRCDIR (absolute).
# Exit statuses follow automake: 0 pass, 1 fail, 77 skip, 99 hard error.
# Nothing is ever written below ONESHOT_SRCDIR (VPATH / distcheck safe): every
# file lives in a private mktemp -d sandbox that is removed on exit (keep it with
# ONESHOT_E2E_KEEP=1), together with the shared-memory tables of the runs the
# test made and any process of those runs that is still alive.
#
# Assertions do not stop the script: fail() records the failure, prints what was
# expected and what was got, and the script exits 1 at the end. fatal() stops
# at once (for failures that make the rest meaningless).

if [ -z "${BASH_VERSION:-}" ]; then
	echo "lib.sh: must be sourced from bash" >&2
	exit 99
fi

set -u
export LC_ALL=C
unset ONESHOT_RUN ONESHOT_TASK_ID

TEST=${TEST:-$(basename "$0" .sh)}
E2E_FAILURES=0
E2E_RUNS=()      # run names made by this test: their tables are removed on exit
E2E_BG_PIDS=()   # supervisors started in the background: killed on exit if alive

if [ -z "${ONESHOT_BUILDDIR:-}" ] || [ -z "${ONESHOT_SRCDIR:-}" ]; then
	echo "$TEST: ONESHOT_BUILDDIR and ONESHOT_SRCDIR must be set (make check sets them)" >&2
	exit 99
fi
# ONESHOT_SUPERVISE may name a wrapper (CI's valgrind stage) that execs the
# real binary, keeping its pid.
SUPERVISE="${ONESHOT_SUPERVISE:-$ONESHOT_BUILDDIR/supervisor/oneshotd-supervise}"
# SLOW: how much longer than natively a run may take: 2 under a wrapper
# (valgrind starts every process and checks it for leaks at its exit).
# Upper bounds that catch a hang are multiplied by it, never lower bounds.
SLOW=1
[ -n "${ONESHOT_SUPERVISE:-}" ] && SLOW=2
# the built programs, where make puts them
PS="$ONESHOT_BUILDDIR/ps/oneshot-ps"
if [ ! -x "$SUPERVISE" ]; then
	echo "$TEST: $SUPERVISE is not built" >&2
	exit 99
fi
E2E_UID=$(id -u)

# ---------------------------------------------------------------- reporting

note() { printf '# %s: %s\n' "$TEST" "$*"; }

# fail MSG: record a failure, keep going; the script exits 1 at the end.
fail() {
	E2E_FAILURES=$((E2E_FAILURES + 1))
	printf 'FAIL: %s: %s\n' "$TEST" "$*" >&2
}

# fatal MSG: fail and stop now.
fatal() {
	fail "$@"
	exit 1
}

skip() {
	printf 'SKIP: %s: %s\n' "$TEST" "$*" >&2
	E2E_SKIP=1
	exit 77
}

# show STRING: STRING as is, or $'...'-quoted when it holds control characters
show() {
	if [[ $1 == *[[:cntrl:]]* ]]; then
		printf '%q' "$1"
	else
		printf '%s' "$1"
	fi
}

# assert_eq EXPECTED GOT WHAT
assert_eq() {
	if [ "$1" != "$2" ]; then
		fail "$3: expected [$(show "$1")], got [$(show "$2")]"
		return 1
	fi
	return 0
}

# assert_match ERE GOT WHAT
assert_match() {
	if ! [[ $2 =~ $1 ]]; then
		fail "$3: expected to match /$1/, got [$(show "$2")]"
		return 1
	fi
	return 0
}

# assert_le A B WHAT: integers, A <= B
assert_le() {
	if ! [ "$1" -le "$2" ] 2>/dev/null; then
		fail "$3: expected $1 <= $2"
		return 1
	fi
	return 0
}

# assert_file PATH WHAT: PATH is a regular file
assert_file() {
	if [ ! -f "$1" ]; then
		fail "$2: expected file $1 to exist, it does not"
		return 1
	fi
	return 0
}

# assert_no_file PATH WHAT
assert_no_file() {
	if [ -e "$1" ] || [ -L "$1" ]; then
		fail "$2: expected $1 not to exist, it does"
		return 1
	fi
	return 0
}

# ------------------------------------------------------------------- time

# now_us: wall clock in microseconds (integer)
now_us() {
	local t=$EPOCHREALTIME
	echo $(( ${t%.*} * 1000000 + 10#${t#*.} ))
}

# ms_since T0_US: milliseconds elapsed since T0_US
ms_since() {
	local n
	n=$(now_us)
	echo $(( (n - $1) / 1000 ))
}

# wait_for CONDITION TIMEOUT_SEC: poll CONDITION (a shell command string,
# eval'd) every 20 ms until it succeeds (return 0) or TIMEOUT_SEC (may be
# fractional) passes (return 1). The condition is tried once more at the end.
wait_for() {
	local cond=$1 limit_us deadline
	limit_us=$(awk -v s="$2" 'BEGIN { printf "%d", s * 1000000 }')
	deadline=$(( $(now_us) + limit_us ))
	while :; do
		eval "$cond" && return 0
		[ "$(now_us)" -ge "$deadline" ] && break
		sleep 0.02
	done
	eval "$cond"
}

# ------------------------------------------------------------------ sandbox

SANDBOX=$(mktemp -d "${TMPDIR:-/tmp}/oneshot-e2e-$TEST.XXXXXX") || {
	echo "$TEST: mktemp -d failed" >&2
	exit 99
}

e2e_cleanup() {
	local st=$? r p
	trap - EXIT INT TERM HUP
	for p in "${E2E_BG_PIDS[@]}"; do
		# only if that pid is still a supervisor (not a reused pid)
		if proc_alive "$p" && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q oneshotd-supervise; then
			kill -KILL "$p" 2>/dev/null
		fi
	done
	for r in "${E2E_RUNS[@]}"; do
		for p in $(run_procs "$r"); do
			kill -KILL "$p" 2>/dev/null
		done
	done
	for r in "${E2E_RUNS[@]}"; do
		rm -f "/dev/shm/oneshot.$E2E_UID.$r"
	done
	if [ "${ONESHOT_E2E_KEEP:-0}" = 1 ]; then
		echo "# $TEST: sandbox kept in $SANDBOX"
	else
		rm -rf "$SANDBOX"
	fi
	if [ "${E2E_SKIP:-0}" = 1 ]; then
		exit 77
	fi
	if [ "$E2E_FAILURES" -gt 0 ]; then
		echo "# $TEST: $E2E_FAILURES failure(s)" >&2
		exit 1
	fi
	[ "$st" -eq 0 ] || exit "$st"
	echo "# $TEST: pass"
	exit 0
}
trap e2e_cleanup EXIT
trap 'exit 99' INT TERM HUP

[ -c /dev/ptmx ] || skip "no /dev/ptmx: pseudo-terminals are not available"
# python3 reads the JSON files; the system one is preferred (a version-manager
# shim on PATH can cost a third of a second a call, and the tests poll).
if [ -z "${PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ]; then
		PYTHON=/usr/bin/python3
	else
		PYTHON=$(command -v python3) || skip "python3 is needed to read the JSON files (Debian: python3)"
	fi
fi

# new_run TAG: set RUN (a unique run name), LOG (its log dir, not created) and
# SHM (its table) and register the run for cleanup.
new_run() {
	RUN="e2e-$TEST-$1-$$"
	LOG="$SANDBOX/log-$1"
	SHM="/dev/shm/oneshot.$E2E_UID.$RUN"
	E2E_RUNS+=("$RUN")
}

# supervise ARGS...: run oneshotd-supervise in the foreground (stdin, stdout
# and stderr are the caller's) under a hard limit of SUPERVISE_LIMIT seconds
# (default 60). Returns its exit status; 124 means it had to be killed.
supervise() {
	local rc
	timeout -k 5 "${SUPERVISE_LIMIT:-60}" "$SUPERVISE" "$@"
	rc=$?
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		fail "oneshotd-supervise $* did not exit within ${SUPERVISE_LIMIT:-60} s (killed)"
	fi
	return "$rc"
}

# start_bg ARGS...: start oneshotd-supervise in the background with SIGINT and
# SIGQUIT at their default disposition (a non-interactive shell would ignore
# them in background jobs), stdin kept. Sets SUP_PID.
start_bg() {
	env --default-signal=INT,QUIT "$SUPERVISE" "$@" 0<&0 &
	SUP_PID=$!
	E2E_BG_PIDS+=("$SUP_PID")
}

# wait_exit PID TIMEOUT: wait for the background child PID to exit and set
# EXIT_STATUS to its status; on timeout, fail, SIGKILL it, and set 'timeout'.
wait_exit() {
	if ! wait_for "! proc_alive $1" "$2"; then
		fail "process $1 (oneshotd-supervise) still running after $2 s; killing it"
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		EXIT_STATUS=timeout
		return 1
	fi
	wait "$1"
	EXIT_STATUS=$?
	return 0
}

# --------------------------------------------------------------- processes

# proc_stat PID: print "STATE PPID PGRP SID TTY_NR TPGID" of PID (nothing if gone)
proc_stat() {
	local line
	read -r line 2>/dev/null <"/proc/$1/stat" || return 1
	line=${line##*) }
	set -- $line
	echo "$1 $2 $3 $4 $5 $6"
}

# proc_alive PID: PID exists and is not a zombie
proc_alive() {
	local s
	s=$(proc_stat "$1") || return 1
	case $s in
	Z* | X* | '') return 1 ;;
	esac
	return 0
}

# all_procs: "PID STATE PPID PGRP SID" for every process (zombies included)
all_procs() {
	local f line pid
	for f in /proc/[0-9]*/stat; do
		read -r line 2>/dev/null <"$f" || continue
		pid=${f#/proc/}
		pid=${pid%/stat}
		line=${line##*) }
		set -- $line
		echo "$pid $1 $2 $3 $4"
	done
}

# children_of PID: live (non-zombie) children of PID
children_of() {
	all_procs | awk -v p="$1" '$3 == p && $2 != "Z" && $2 != "X" { print $1 }'
}

# group_members PGID: live (non-zombie) processes in process group PGID
group_members() {
	all_procs | awk -v g="$1" '$4 == g && $2 != "Z" && $2 != "X" { print $1 }'
}

# run_procs NAME: live processes whose environment has ONESHOT_RUN=NAME
run_procs() {
	local f p
	for f in $(grep -lzx -- "ONESHOT_RUN=$1" /proc/[0-9]*/environ 2>/dev/null); do
		p=${f#/proc/}
		p=${p%/environ}
		[ "$p" = "$$" ] && continue
		proc_alive "$p" && echo "$p"
	done
}

# describe_pids PID...: one line per pid for failure messages
describe_pids() {
	local p
	for p in "$@"; do
		printf '%s[%s] ' "$p" "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-60)"
	done
}

# no_survivors NAME [PID...]: true when no live process has ONESHOT_RUN=NAME,
# no PID is alive, and no process group led by a PID has a live member.
no_survivors() {
	local p
	[ -z "$(run_procs "$1")" ] || return 1
	shift
	for p in "$@"; do
		proc_alive "$p" && return 1
		[ -z "$(group_members "$p")" ] || return 1
	done
	return 0
}

# assert_no_survivors NAME TIMEOUT [PID...]: no_survivors holds within TIMEOUT
# seconds (give orphans' reaping a moment). PIDs are task pids (= their pgids)
# and/or worker pids.
assert_no_survivors() {
	local name=$1 t=$2 p left
	shift 2
	if ! wait_for "no_survivors $name $*" "$t"; then
		left="run processes: $(describe_pids $(run_procs "$name"))"
		for p in "$@"; do
			proc_alive "$p" && left="$left; pid $p alive"
			[ -z "$(group_members "$p")" ] ||
				left="$left; group $p has $(describe_pids $(group_members "$p"))"
		done
		fail "processes of run $name still alive ${t}s after the end: $left"
		return 1
	fi
	return 0
}

# assert_group_gone PGID TIMEOUT WHAT: kill -0 -PGID fails within TIMEOUT s
assert_group_gone() {
	if ! wait_for "! kill -0 -- -$1 2>/dev/null" "$2"; then
		fail "$3: process group $1 still exists after $2 s: members $(describe_pids $(group_members "$1"))"
		return 1
	fi
	return 0
}

# proc_find_exe PID EXE: set FOUND_PID to PID or the first of its descendants
# whose executable is EXE (e.g. the oneshot-ps that timeout(1) or in_pty
# runs); false when there is none. Forks nothing.
proc_find_exe() {
	local -a queue=("$1") kids
	local p t
	FOUND_PID=
	while [ "${#queue[@]}" -gt 0 ]; do
		p=${queue[0]}
		queue=("${queue[@]:1}")
		if [[ /proc/$p/exe -ef $2 ]]; then
			FOUND_PID=$p
			return 0
		fi
		for t in /proc/"$p"/task/*/children; do
			kids=()
			read -r -a kids 2>/dev/null <"$t"
			queue+=("${kids[@]}")
		done
	done
	return 1
}

# proc_sleeps_in PID GLOB: PID is asleep (state S) in a kernel function
# matching GLOB (/proc/PID/wchan, e.g. '*nanosleep*', '*poll*'): a program
# that polls or naps in a loop is known to have gone round it once. Where the
# kernel does not name the function (wchan "0"), asleep is all it can say.
# Forks nothing.
proc_sleeps_in() {
	local line w=
	read -r line 2>/dev/null <"/proc/$1/stat" || return 1
	line=${line##*) }
	[ "${line%% *}" = S ] || return 1
	read -r w 2>/dev/null <"/proc/$1/wchan"
	[[ $w == 0 || $w == $2 ]]
}

# ------------------------------------------------------------------- gates

# A gate keeps tasks alive until the test has done what it needs them alive
# for (killed, stopped or measured them): a task that ends by itself within
# a fraction of a second may be gone before a slow or busy machine gets round
# to it, and a test that hopes to catch one alive then tests nothing.
#
#   gate_close FILE                      before the tasks start
#   echo "...; $(gate_wait FILE); ..."   in a task's command line
#   gate_open FILE                       from the test or any of its subshells
#
# A closed gate is an exclusive flock(1) on FILE held by this shell; a task
# waits in one blocking flock call (no polling loop to load the machine), at
# most GATE_LIMIT seconds (default 60), then exits 97: a gate left closed
# fails the test instead of hanging it. Opening releases the lock itself
# (flock -u), whichever processes inherited the descriptor.
declare -A E2E_GATE_FD=()

gate_close() {
	local fd
	command -v flock >/dev/null || skip "needs flock (util-linux)"
	exec {fd}>"$1" || fatal "gate_close: cannot open $1"
	flock -x "$fd" || fatal "gate_close: cannot lock $1"
	E2E_GATE_FD[$1]=$fd
}

gate_wait() {
	printf "{ flock -s -w %s '%s' true || exit 97; }" "${GATE_LIMIT:-60}" "$1"
}

gate_open() {
	[ -n "${E2E_GATE_FD[$1]:-}" ] && flock -u "${E2E_GATE_FD[$1]}"
}

# ------------------------------------------------------------------- files

# json_valid FILE
json_valid() {
	"$PYTHON" -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null
}

# json_get FILE KEY[.KEY...]: print the value (JSON-encoded unless a string or
# number); prints MISSING if the key is absent, BADJSON if FILE is not JSON.
json_get() {
	"$PYTHON" - "$1" "$2" <<'EOF'
import json, sys
try:
    v = json.load(open(sys.argv[1]))
except Exception:
    print("BADJSON"); sys.exit(0)
for k in sys.argv[2].split("."):
    if isinstance(v, dict) and k in v:
        v = v[k]
    else:
        print("MISSING"); sys.exit(0)
if isinstance(v, bool) or v is None or isinstance(v, (dict, list)):
    print(json.dumps(v))
else:
    print(v)
EOF
}

# events LOGDIR TASK: the state changes of TASK from LOGDIR/events.jsonl, one
# per line: "EVENT FROM TO REASON TIME" (REASON "-" when absent or empty);
# the waiting and answer lines, which change no state, are left out.
# A line that is not a JSON object with those keys prints "BAD <line>".
events() {
	"$PYTHON" - "$1/events.jsonl" "$2" <<'EOF'
import json, sys, datetime
path, task = sys.argv[1], sys.argv[2]
try:
    lines = open(path).read().splitlines()
except OSError:
    sys.exit(0)
for line in lines:
    try:
        e = json.loads(line)
        t = e["time"]
        if isinstance(t, str):
            try:
                t = float(t)
            except ValueError:
                t = datetime.datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()
        if str(e["task"]) != task or e["event"] in ("waiting", "answer"):
            continue  # lines about a task that are no transition
        print(e["event"], e["from"], e["to"], e.get("reason") or "-", "%.6f" % float(t))
    except Exception as x:
        print("BAD", repr(line), x)
EOF
}

# states LOGDIR TASK: the "to" states of TASK's events, space separated
states() {
	events "$1" "$2" | awk '{ printf "%s%s", sep, ($1 == "BAD" ? "BAD" : $3); sep = " " } END { print "" }'
}

# wait_table NAME PID SEC: wait up to SEC s until run NAME's table exists or
# process PID (its supervisor) has exited; until then "no such run" is the
# right answer of oneshot-ps, so probing earlier proves nothing.
wait_table() {
	wait_for "[ -e /dev/shm/oneshot.$E2E_UID.$1 ] || ! proc_alive $2" "$3"
}

# joblog_col LOGDIR SEQ COLUMN: the COLUMN (by header name) of task SEQ's line
# in LOGDIR/joblog; prints NOLINE when there is no such line, MANY if several.
joblog_col() {
	if [ ! -f "$1/joblog" ]; then
		echo NOJOBLOG
		return
	fi
	awk -F '\t' -v seq="$2" -v col="$3" '
		NR == 1 { for (i = 1; i <= NF; i++) idx[$i] = i; next }
		$1 == seq { n++; v = $(idx[col]) }
		END { if (n == 0) print "NOLINE"; else if (n > 1) print "MANY"; else print v }
	' "$1/joblog"
}

# joblog_count LOGDIR: number of task lines (header excluded)
joblog_count() {
	if [ -f "$1/joblog" ]; then
		awk 'NR > 1' "$1/joblog" | wc -l | tr -d ' '
	else
		echo NOJOBLOG
	fi
}

JOBLOG_HEADER=$(printf 'Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tState\tAttempt\tReason\tCommand')

# screen FILE: the lines left on a terminal after FILE's bytes (CR, LF,
# erase to end of line, printable characters), trailing empty lines dropped
screen() {
	"$PYTHON" - "$1" <<'EOF'
import sys, re
data = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
lines, row, col, i = [[]], 0, 0, 0
while i < len(data):
    c = data[i]
    if data.startswith("\x1b[K", i):
        del lines[row][col:]
        i += 3
        continue
    if c == "\r":
        col = 0
    elif c == "\n":
        row += 1
        if row == len(lines):
            lines.append([])
    elif c == "\x1b":
        print("UNEXPECTED-ESCAPE %r" % data[i:i + 8])
    else:
        line = lines[row]
        line.extend(" " * (col - len(line)))
        if col < len(line):
            line[col] = c
        else:
            line.append(c)
        col += 1
    i += 1
out = ["".join(l).rstrip() for l in lines]
while out and not out[-1]:
    out.pop()
print("\n".join(out))
EOF
}
