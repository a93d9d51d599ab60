# tests/e2e/rel-lib.sh: helpers for the reliability tests (tests/e2e/rel-*.sh).
#
# Sourced after lib.sh:
#
#   . "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
#   . "$ONESHOT_SRCDIR/tests/e2e/rel-lib.sh"
#
# Gives:
#  - SOAK (0 by default; 1 from tests/soak/run) and soak CI_VALUE SOAK_VALUE,
#    which prints the value for the current mode;
#  - the figures every rel test reports on exit as one machine-readable line
#      RELIABILITY test=NAME soak=0|1 runs=N kills=N tasks=N lost=N left=N inputs=N failures=N
#    (REL_RUNS, REL_KILLS, REL_TASKS, REL_LOST, REL_LEFT, REL_INPUTS: add to
#    them as the test goes; tests/soak/run adds the lines up);
#  - rel_ps_json NAME FILE: oneshot-ps -n NAME --json into FILE;
#  - rel_check NAME LOG N MODE [ARG]: checks a finished run against its table,
#    joblog and events.jsonl (see below), counts lost tasks;
#  - rel_tick, rel_survivors, rel_assert_none_left: "no process of the run is
#    left", robust against pid reuse;
#  - rel_workers SUP_PID: the supervisor's live workers (not the strays it
#    adopted as subreaper); rel_workers_list SUP_PID sets them in REL_WS
#    without forking, and rel_hwm PID sets a process's peak RSS in REL_HWM,
#    for the loops that probe many times a second.

if [ ! -x "$PS" ]; then
	echo "$TEST: $PS is not built" >&2
	exit 99
fi

SOAK=${SOAK:-0}
case $SOAK in 0 | 1) ;; *) SOAK=1 ;; esac

# soak CI_VALUE SOAK_VALUE
soak() {
	if [ "$SOAK" = 1 ]; then echo "$2"; else echo "$1"; fi
}

REL_RUNS=0 REL_KILLS=0 REL_TASKS=0 REL_LOST=0 REL_LEFT=0 REL_INPUTS=0
REL_CLEANUP=()	# more paths to remove on exit (other users' tables, say)

rel_report() {
	printf 'RELIABILITY test=%s soak=%s runs=%d kills=%d tasks=%d lost=%d left=%d inputs=%d failures=%d\n' \
		"$TEST" "$SOAK" "$REL_RUNS" "$REL_KILLS" "$REL_TASKS" "$REL_LOST" "$REL_LEFT" \
		"$REL_INPUTS" "$E2E_FAILURES"
}

rel_exit() {
	local st=$? f
	rel_report
	for f in "${REL_CLEANUP[@]}"; do
		rm -rf "$f"
	done
	(exit "$st")
	e2e_cleanup
}
trap rel_exit EXIT

# rel_ps_json NAME FILE: oneshot-ps -n NAME --json > FILE (stderr in FILE.err);
# returns oneshot-ps's status (124 if it took more than 10 s).
rel_ps_json() {
	timeout -k 2 10 "$PS" -n "$1" --json </dev/null >"$2" 2>"$2.err"
}

# rel_check NAME LOG N MODE [ARG]: check the finished run NAME (N tasks, log
# directory LOG) and print problems, one per line, then one line
#   SUMMARY completed=N failed=N interrupted=N created=N lost=N worker_lost=N
# Checks (every mode):
#  - oneshot-ps -n NAME --json answers; the run is not alive; tokens_free ==
#    jobs and jobs_in_use == 0; the counts add up to N and match the tasks;
#  - the joblog has the header and exactly one line per task 1..N (nothing
#    missing, nothing twice, no other Seq) and its State is the table's;
#  - events.jsonl parses and holds exactly one terminal transition per task,
#    whose state and reason are the table's.
# A task is "lost" when it has no terminal state, no joblog line, several
# lines or not exactly one terminal event.
# MODE:
#  all-completed   every task COMPLETED
#  kill FILE       FILE holds the pids of workers sent SIGKILL: every task
#                  COMPLETED, or FAILED with reason worker-lost when its
#                  worker_pid is in FILE or null (killed before it recorded
#                  its pid); a kill that came after the task's end leaves it
#                  COMPLETED
#  any             only the structural checks
#  stopped         the run was stopped by a signal: as any, and a task still
#                  CREATED with no joblog line and no event is not lost
# The JSON is kept in LOG.ps.json for the caller.
rel_check() {
	local name=$1 log=$2 n=$3 mode=$4 arg=${5:-} rc
	rel_ps_json "$name" "$log.ps.json"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "oneshot-ps -n $name --json exited $rc: $(head -c 300 "$log.ps.json.err")"
	fi
	"$PYTHON" - "$log.ps.json" "$log" "$n" "$mode" "$arg" <<'EOF'
import json, sys
psfile, log, n, mode, arg = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
errs = []
def err(m):
    errs.append(m)
TERMINAL = ("COMPLETED", "FAILED", "INTERRUPTED")
try:
    d = json.load(open(psfile))
    run, tasks = d["run"], d["tasks"]
except Exception as e:
    err("oneshot-ps --json output unreadable: %s" % e)
    run, tasks = {}, []
killed = set()
if mode == "kill":
    try:
        killed = set(int(x) for x in open(arg).read().split())
    except OSError:
        pass
if run:
    if run.get("alive") is not False:
        err("run still alive after its end: alive=%r" % run.get("alive"))
    if run.get("tokens_free") != run.get("jobs"):
        err("tokens_free %r != jobs %r after the run (a cap token leaked or was added)"
            % (run.get("tokens_free"), run.get("jobs")))
    if run.get("jobs_in_use") != 0:
        err("jobs_in_use %r after the run" % run.get("jobs_in_use"))
    if run.get("total") != n:
        err("total %r, expected %d" % (run.get("total"), n))
    c = run.get("counts", {})
    if sum(c.values()) != n:
        err("counts %r add up to %d, expected %d" % (c, sum(c.values()), n))
    for st in ("CREATED", "RUNNING", "IDLE", "INTERRUPTED", "COMPLETED", "FAILED"):
        k = sum(1 for t in tasks if t["state"] == st)
        if c.get(st.lower()) != k:
            err("counts.%s = %r but %d tasks are %s" % (st.lower(), c.get(st.lower()), k, st))
state = {t["id"]: t for t in tasks}
if tasks and sorted(state) != list(range(1, n + 1)):
    err("task ids in the table are not 1..%d" % n)
# joblog
jl = {}
try:
    lines = open(log + "/joblog", errors="replace").read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    hdr = "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tState\tAttempt\tReason\tCommand"
    if not lines or lines[0] != hdr:
        err("joblog header is %r" % (lines[0] if lines else None))
    for ln in lines[1:]:
        f = ln.split("\t")
        try:
            seq = int(f[0])
        except ValueError:
            err("joblog line without a Seq: %r" % ln[:100]); continue
        jl.setdefault(seq, []).append(f[8] if len(f) > 8 else "?")
except OSError as e:
    err("joblog unreadable: %s" % e)
for seq in jl:
    if not 1 <= seq <= n:
        err("joblog has a line for Seq %d, which is no task" % seq)
# events
ev = {}
evreason = {}
try:
    for ln in open(log + "/events.jsonl", errors="replace"):
        try:
            e = json.loads(ln)
        except ValueError:
            err("events.jsonl: bad line %r" % ln[:100]); continue
        if e.get("to") in TERMINAL:
            ev.setdefault(int(e["task"]), []).append(e["to"])
            evreason[int(e["task"])] = e.get("reason")
except OSError as e:
    err("events.jsonl unreadable: %s" % e)
lost = 0
cnt = {"COMPLETED": 0, "FAILED": 0, "INTERRUPTED": 0, "CREATED": 0}
wlost = 0
shown = 0
for i in range(1, n + 1):
    t = state.get(i)
    st = t["state"] if t else "MISSING"
    cnt[st] = cnt.get(st, 0) + 1
    why = []
    if mode == "stopped" and st == "CREATED" and not jl.get(i) and not ev.get(i):
        continue
    if st not in TERMINAL:
        why.append("state %s in the table" % st)
    j = jl.get(i, [])
    if len(j) != 1:
        why.append("%d joblog lines" % len(j))
    elif j[0] != st:
        why.append("joblog State %s, table %s" % (j[0], st))
    e = ev.get(i, [])
    if len(e) != 1:
        why.append("%d terminal events %s" % (len(e), e))
    elif e[0] != st:
        why.append("terminal event %s, table %s" % (e[0], st))
    if why:
        lost += 1
    if len(e) == 1 and t and (evreason.get(i) or None) != (t.get("interrupt_reason") or None):
        why.append("terminal event reason %r, table %r" % (evreason.get(i), t.get("interrupt_reason")))
    reason = t.get("interrupt_reason") if t else None
    if t and st == "FAILED" and reason == "worker-lost":
        wlost += 1
    if mode == "all-completed" and st != "COMPLETED":
        why.append("%s (reason %s, message %r), expected COMPLETED" % (st, reason, t.get("message") if t else None))
    elif mode == "kill" and st != "COMPLETED":
        if st != "FAILED" or reason != "worker-lost":
            why.append("%s (reason %s, message %r): expected COMPLETED or FAILED/worker-lost"
                       % (st, reason, t.get("message") if t else None))
        elif t.get("worker_pid") is not None and t.get("worker_pid") not in killed:
            # (None: killed between fork and recording its pid)
            why.append("FAILED/worker-lost but its worker %r was not killed by the test" % t.get("worker_pid"))
    if why:
        if t:
            detail = dict((k, t.get(k)) for k in ("worker_pid", "pid", "exit_code", "signal",
                                                  "interrupt_reason", "started_at", "elapsed", "message"))
            if t.get("worker_pid") is None and t.get("started_at") is None and st in TERMINAL:
                detail["note"] = "slot unreadable (odd sequence: a writer died inside its write section?)"
            why.append("slot %s" % json.dumps(detail))
        if shown < 25:
            err("task %d: %s" % (i, "; ".join(why)))
        shown += 1
if shown > 25:
    err("... and %d more tasks with problems" % (shown - 25))
for m in errs:
    print(m)
print("SUMMARY completed=%d failed=%d interrupted=%d created=%d lost=%d worker_lost=%d"
      % (cnt.get("COMPLETED", 0), cnt.get("FAILED", 0), cnt.get("INTERRUPTED", 0),
         cnt.get("CREATED", 0), lost, wlost))
EOF
}

# rel_verify TAG NAME LOG N MODE [ARG]: rel_check, each problem a fail()
# prefixed with TAG; adds N to REL_TASKS and the lost tasks to REL_LOST; sets
# REL_SUMMARY (the SUMMARY line's fields, e.g. "completed=... lost=0 ...").
rel_verify() {
	local tag=$1 line lost
	shift
	REL_SUMMARY=
	while IFS= read -r line; do
		case $line in
		"SUMMARY "*) REL_SUMMARY=${line#SUMMARY } ;;
		*) fail "$tag: $line" ;;
		esac
	done < <(rel_check "$@")
	REL_TASKS=$((REL_TASKS + $3))
	lost=$(rel_field lost "$REL_SUMMARY")
	if [ -z "$lost" ]; then
		fail "$tag: the run could not be checked (no SUMMARY)"
		REL_LOST=$((REL_LOST + $3))
	else
		REL_LOST=$((REL_LOST + lost))
	fi
}

# rel_field KEY "k=v k=v ...": the value of KEY
rel_field() {
	local kv
	for kv in $2; do
		[ "${kv%%=*}" = "$1" ] && { echo "${kv#*=}"; return; }
	done
}

# ----------------------------------------------------------- processes left

# rel_tick: the start time (clock ticks since boot, /proc/PID/stat field 22) of
# a process started now. A recorded pid whose process started later than a
# tick taken at the end of a run is a reused pid, not a leftover.
rel_tick() {
	(
		read -r l </proc/$BASHPID/stat
		l=${l##*) }
		set -- $l
		echo "${20}"
	)
}

# rel_start_tick PID: start time of PID in clock ticks (nothing if gone)
rel_start_tick() {
	local l
	read -r l 2>/dev/null <"/proc/$1/stat" || return 1
	l=${l##*) }
	set -- $l
	echo "${20}"
}

# rel_survivors NAME TICK FILE...: live processes of run NAME: those whose
# environment has ONESHOT_RUN=NAME, and every pid listed in FILEs (any
# whitespace-separated numbers) that is alive and started no later than TICK.
rel_survivors() {
	local name=$1 tick=$2 p st
	shift 2
	{
		run_procs "$name"
		for p in $(cat "$@" 2>/dev/null | tr -c '0-9\n' ' '); do
			proc_alive "$p" || continue
			st=$(rel_start_tick "$p") || continue
			[ "$st" -le "$tick" ] && echo "$p"
		done
	} | sort -un
}

# rel_assert_none_left TAG NAME TIMEOUT TICK FILE...: no survivor of run NAME
# within TIMEOUT s; otherwise fail, name them, add them to REL_LEFT.
rel_assert_none_left() {
	local tag=$1 name=$2 t=$3 tick=$4 left
	shift 4
	if ! wait_for "[ -z \"\$(rel_survivors '$name' '$tick' $*)\" ]" "$t"; then
		left=$(rel_survivors "$name" "$tick" "$@")
		fail "$tag: $(echo $left | wc -w) process(es) of run $name alive ${t} s after the end: $(describe_pids $left)"
		REL_LEFT=$((REL_LEFT + $(echo $left | wc -w)))
		return 1
	fi
	return 0
}

# rel_workers_list SUP_PID: set REL_WS to the live children of the supervisor
# that are workers (the supervisor's own executable, whatever wraps it: a
# worker is forked, not exec'd), not the strays it adopted. Forks nothing:
# the killer, stopper and sampler loops call it many times a second, and a
# probe that forks per process can take, on a slow or busy machine, longer
# than a short task lives.
rel_workers_list() {
	local sup=$1 p k v st
	local -a c=()
	REL_WS=()
	# A traced supervisor is exiting under LeakSanitizer, whose tracer is a
	# clone of it (same executable): it has no workers left to speak of.
	while read -r k v; do
		if [ "$k" = TracerPid: ]; then
			[ "$v" = 0 ] || return 0
			break
		fi
	done 2>/dev/null <"/proc/$sup/status"
	read -r -a c 2>/dev/null <"/proc/$sup/task/$sup/children"
	for p in "${c[@]}"; do
		# (a zombie's exe cannot be followed: it fails this test)
		[[ /proc/$p/exe -ef /proc/$sup/exe ]] || continue
		# A worker leads its own process group; LeakSanitizer's exit-time
		# tracer (same executable) stays in the supervisor's.
		read -r st 2>/dev/null <"/proc/$p/stat" || continue
		st=${st##*) }
		set -- $st
		[ "$3" = "$p" ] && REL_WS+=("$p")
	done
	return 0
}

# rel_workers SUP_PID: rel_workers_list, one pid a line on stdout
rel_workers() {
	rel_workers_list "$1"
	[ "${#REL_WS[@]}" -eq 0 ] || printf '%s\n' "${REL_WS[@]}"
}

# rel_hwm PID: set REL_HWM to the peak RSS of PID in kB (VmHWM); false when
# PID is gone. Forks nothing.
rel_hwm() {
	local k v u
	REL_HWM=
	while read -r k v u; do
		if [ "$k" = VmHWM: ]; then
			REL_HWM=$v
			return 0
		fi
	done 2>/dev/null <"/proc/$1/status"
	return 1
}
