#!/bin/bash
# rel-exhaust.sh: resource exhaustion. Each case must give a clear error in
# the task's slot (oneshot-ps --json "message") or a clear run-level error (one
# line on stderr, exit 2, nothing started, no table left), end with the right
# exit status, never hang (30 s limit), never crash (no death by signal), keep
# the joblog whole (one whole line per task that started) and leave no
# process behind.
#
#  nofile  RLIMIT_NOFILE of 5..16 (SOAK=1: 5..24) set before the supervisor
#          starts, 6 tasks under -j 6. Status 2 with one line naming
#          "Too many open files" and no table left, or 1 with every task that
#          did not complete FAILED with that message, or 0 with all COMPLETED.
#  pty     in a private mount namespace with a devpts instance of at most 3
#          PTYs, 6 tasks of 2 s under -j 6: some FAILED with a message naming
#          "open pty", the others COMPLETED (at most 3), exit 1. Skipped (77)
#          when unshare -m or the mounts are not permitted.
#  full    the log directory on a 1 MiB tmpfs (private mount namespace), -j 1:
#          task 1 writes 4 MiB (its transcript cannot hold it), task 2 has a
#          5000-byte command line (its joblog line needs a new page of the
#          full filesystem). Expected: task 1's slot message names "No space
#          left on device"; the run's stderr does too; exit status 1 (output
#          the run promised to keep was lost: not a success); every joblog
#          line present is whole, and a task without one is named on stderr
#          with "joblog".
#  nproc   as user nobody with RLIMIT_NPROC of 4 and 8 (SOAK=1: 2..16), 12
#          tasks under -j 8: the tasks that cannot get a process FAIL with a
#          message naming "Resource temporarily unavailable" (or exit non-zero
#          by themselves, their shell unable to fork); the others COMPLETE with
#          their whole transcript and no message; exit 1. Then a task that
#          itself forks until its user's RLIMIT_NPROC (12) is used up, then
#          writes 2,000,007 bytes and exits 0: COMPLETED, no message, the
#          whole transcript, exit 0, its sleepers gone. Needs root (root
#          ignores RLIMIT_NPROC) and setpriv; skipped otherwise.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/rel-lib.sh"

LIMIT=30
SKIPPED=()

# run_limited TAG CMD...: run CMD (a supervisor, however wrapped) with stdout
# and stderr to $SANDBOX/out.TAG / err.TAG under a 30 s limit; sets RC
run_limited() {
	local tag=$1
	shift
	timeout -k 5 "$LIMIT" "$@" >"$SANDBOX/out.$tag" 2>"$SANDBOX/err.$tag"
	RC=$?
	REL_RUNS=$((REL_RUNS + 1))
	REL_INPUTS=$((REL_INPUTS + 1))
	if [ "$RC" -eq 124 ] || [ "$RC" -eq 137 ]; then
		fail "$tag: the supervisor did not end within $LIMIT s (hang); stderr: $(head -c 300 "$SANDBOX/err.$tag")"
	elif [ "$RC" -ge 128 ]; then
		fail "$tag: the supervisor died of signal $((RC - 128)) (crash); stderr: $(head -c 300 "$SANDBOX/err.$tag")"
	fi
}

# task_info FILE ID: "STATE EXIT_CODE|- MESSAGE|-" of task ID in the --json FILE
task_info() {
	"$PYTHON" -c '
import json, sys
t = json.load(open(sys.argv[1]))["tasks"][int(sys.argv[2]) - 1]
ec = t["exit_code"]
print(t["state"], "-" if ec is None else ec, t["message"] or "-")' "$1" "$2" 2>/dev/null || echo "NOINFO"
}

# check_slots TAG N PATTERN: after rel_verify (LOG.ps.json exists): every task
# that is not COMPLETED is FAILED with a message matching PATTERN or (when
# OWN_FAIL_OK=1) an exit code of its own; every COMPLETED task has the
# transcript "task ID\n" and no message. Sets NCOMP and NFAIL.
check_slots() {
	local tag=$1 n=$2 pat=$3 i info st ec msg
	NCOMP=0 NFAIL=0
	for i in $(seq 1 "$n"); do
		info=$(task_info "$LOG.ps.json" "$i")
		read -r st ec msg <<<"$info"
		case $st in
		COMPLETED)
			NCOMP=$((NCOMP + 1))
			assert_eq "task $i" "$(cat "$LOG/$i.log" 2>/dev/null)" "$tag: task $i COMPLETED: its transcript" &&
				assert_eq - "$msg" "$tag: task $i COMPLETED: its message"
			;;
		FAILED)
			NFAIL=$((NFAIL + 1))
			if [ "${OWN_FAIL_OK:-0}" = 1 ] && [ "$ec" != - ] && [ "$msg" = - ]; then
				continue # its own shell could not fork: its own exit status
			fi
			assert_match "$pat" "$msg" "$tag: task $i FAILED: its message (exit code $ec)"
			;;
		*) fail "$tag: task $i is $st ($info), expected COMPLETED or FAILED" ;;
		esac
	done
}

# ---------------------------------------------------------------- nofile
for n in $(soak "5 6 7 8 9 10 11 12 14 16" "$(seq 5 24)"); do
	tag="nofile$n"
	new_run "$tag"
	for i in 1 2 3 4 5 6; do echo "echo task $i; sleep 0.2"; done >"$SANDBOX/tasks.$tag"
	tick=$(rel_tick)
	# (under AddressSanitizer, LeakSanitizer's exit-time check needs file
	# descriptors of its own: it is not what this case is about)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		run_limited "$tag" bash -c 'ulimit -n "$1" && shift && exec "$@"' - "$n" \
		"$SUPERVISE" -j 6 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.$tag"
	case $RC in
	127)
		# the dynamic loader itself could not open a library: the program
		# never ran, nothing of oneshot's to judge at this limit
		grep -q 'error while loading shared libraries' "$SANDBOX/err.$tag" ||
			fail "$tag: exit status 127; stderr: $(head -c 300 "$SANDBOX/err.$tag")"
		;;
	2)
		assert_eq 1 "$(wc -l <"$SANDBOX/err.$tag" | tr -d ' ')" "$tag: exit 2: lines on stderr ($(head -c 300 "$SANDBOX/err.$tag"))"
		assert_match 'Too many open files' "$(cat "$SANDBOX/err.$tag")" "$tag: exit 2: the error"
		assert_no_file "$SHM" "$tag: exit 2: the run's table"
		assert_eq "" "$(ls "$LOG"/*.log 2>/dev/null)" "$tag: exit 2: transcripts (nothing may start)"
		;;
	0 | 1)
		rel_verify "$tag" "$RUN" "$LOG" 6 any
		check_slots "$tag" 6 'Too many open files'
		if [ "$RC" = 0 ]; then
			assert_eq 6 "$NCOMP" "$tag: exit 0: tasks COMPLETED"
		else
			assert_le 1 "$NFAIL" "$tag: exit 1: tasks FAILED"
			assert_match 'Too many open files' "$(cat "$SANDBOX/err.$tag")" "$tag: exit 1: stderr"
		fi
		;;
	*) fail "$tag: exit status $RC, expected 0, 1 or 2; stderr: $(head -c 300 "$SANDBOX/err.$tag")" ;;
	esac
	note "$tag: exit $RC ${NCOMP:+($NCOMP completed, $NFAIL failed)} $(head -n 1 "$SANDBOX/err.$tag" | cut -c1-100)"
	unset NCOMP NFAIL
	rel_assert_none_left "$tag" "$RUN" 3 "$tick"
done

# ---------------------------------------------------------------- namespaces
NS_OK=0
if command -v unshare >/dev/null &&
	unshare -m sh -c 'mount -t tmpfs -o size=64k tmpfs "$1"' - "$SANDBOX" 2>/dev/null; then
	NS_OK=1
fi

# ---------------------------------------------------------------- pty
if [ "$NS_OK" = 1 ] &&
	unshare -m sh -c 'mount -t devpts -o newinstance,ptmxmode=0666,max=3 devpts /dev/pts &&
		mount --bind /dev/pts/ptmx /dev/ptmx' 2>/dev/null; then
	tag=pty
	new_run "$tag"
	for i in 1 2 3 4 5 6; do echo "echo task $i; sleep 2"; done >"$SANDBOX/tasks.$tag"
	tick=$(rel_tick)
	run_limited "$tag" unshare -m sh -c '
		mount -t devpts -o newinstance,ptmxmode=0666,max=3 devpts /dev/pts &&
		mount --bind /dev/pts/ptmx /dev/ptmx || exit 99
		exec "$@"' - "$SUPERVISE" -j 6 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.$tag"
	assert_eq 1 "$RC" "$tag: exit status (3 PTYs for 6 tasks); stderr: $(head -c 300 "$SANDBOX/err.$tag")"
	rel_verify "$tag" "$RUN" "$LOG" 6 any
	check_slots "$tag" 6 'open pty'
	assert_le 1 "$NFAIL" "$tag: tasks FAILED for want of a PTY"
	assert_le 1 "$NCOMP" "$tag: tasks COMPLETED"
	assert_le "$NCOMP" 3 "$tag: tasks COMPLETED with 3 PTYs"
	assert_match 'open pty' "$(cat "$SANDBOX/err.$tag")" "$tag: stderr"
	note "$tag: exit $RC, $NCOMP completed, $NFAIL failed: $(head -n 1 "$SANDBOX/err.$tag")"
	rel_assert_none_left "$tag" "$RUN" 3 "$tick"
else
	SKIPPED+=(pty)
	note "pty: skipped: unshare -m / a private devpts instance is not permitted here"
fi

# ---------------------------------------------------------------- full
if [ "$NS_OK" = 1 ]; then
	tag=full
	new_run "$tag"
	FULL="$SANDBOX/full"
	mkdir -m 0700 "$FULL"
	LOG="$FULL/log"
	{
		echo "head -c 4194304 /dev/zero | tr '\\000' x; echo done"
		printf ': %s; echo small\n' "$(head -c 5000 /dev/zero | tr '\000' y)"
	} >"$SANDBOX/tasks.$tag"
	tick=$(rel_tick)
	# the tmpfs goes with the namespace: copy the log directory out
	run_limited "$tag" unshare -m sh -c '
		copy=$1 full=$2
		shift 2
		mount -t tmpfs -o size=1m,mode=0700 tmpfs "$full" || exit 99
		"$@"
		rc=$?
		cp -a "$full/log" "$copy" 2>/dev/null
		exit $rc' - "$SANDBOX/full-copy" "$FULL" \
		"$SUPERVISE" -j 1 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.$tag"
	LOG="$SANDBOX/full-copy"
	note "$tag: exit $RC; stderr: $(tr '\n' '|' <"$SANDBOX/err.$tag" | head -c 300)"
	assert_eq 1 "$RC" "$tag: exit status (task 1's transcript and other files could not be written)"
	assert_match 'No space left on device' "$(cat "$SANDBOX/err.$tag")" "$tag: stderr names the full filesystem"
	if rel_ps_json "$RUN" "$SANDBOX/full.ps.json"; then
		info=$(task_info "$SANDBOX/full.ps.json" 1)
		assert_match 'No space left on device' "$info" "$tag: task 1's slot (state exit message)"
	else
		fail "$tag: oneshot-ps -n $RUN --json failed: $(head -c 200 "$SANDBOX/full.ps.json.err")"
	fi
	# the joblog: whole lines only; a task without one is named on stderr
	if [ -f "$LOG/joblog" ]; then
		if [ -s "$LOG/joblog" ] && [ "$(tail -c 1 "$LOG/joblog" | od -An -c | tr -d ' ')" != '\n' ]; then
			fail "$tag: the joblog ends with a partial line: [$(tail -c 60 "$LOG/joblog")] (a short write was ignored)"
		fi
		for i in 1 2; do
			c=$(joblog_col "$LOG" "$i" State)
			case $c in
			COMPLETED | FAILED | INTERRUPTED) ;;
			*)
				grep -q "joblog" "$SANDBOX/err.$tag" ||
					fail "$tag: task $i has no whole joblog line (got [$c]) and stderr does not say the joblog could not be written"
				;;
			esac
		done
	else
		grep -q "joblog" "$SANDBOX/err.$tag" || fail "$tag: no joblog, and stderr does not say so"
	fi
	rel_assert_none_left "$tag" "$RUN" 3 "$tick"
else
	SKIPPED+=(full)
	note "full: skipped: unshare -m / a tmpfs mount is not permitted here"
fi

# ---------------------------------------------------------------- nproc
NOBODY=$(id -u nobody 2>/dev/null)
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null && [ -n "$NOBODY" ] &&
	setpriv --reuid="$NOBODY" --regid="$(id -g nobody)" --clear-groups test -x "$SUPERVISE"; then
	chmod 0755 "$SANDBOX"
	for u in $(soak "4 8" "2 3 4 6 8 12 16"); do
		tag="nproc$u"
		new_run "$tag"
		LOG="$SANDBOX/nb.$tag/log"
		mkdir -p "$SANDBOX/nb.$tag"
		chown "$NOBODY" "$SANDBOX/nb.$tag"
		REL_CLEANUP+=("/dev/shm/oneshot.$NOBODY.$RUN")
		for i in $(seq 1 12); do echo "echo task $i; sleep 0.3"; done >"$SANDBOX/tasks.$tag"
		chmod 0644 "$SANDBOX/tasks.$tag"
		tick=$(rel_tick)
		run_limited "$tag" setpriv --reuid="$NOBODY" --regid="$(id -g nobody)" --clear-groups \
			env HOME="$SANDBOX/nb.$tag" bash -c 'ulimit -u "$1" && shift && exec "$@"' - "$u" \
			"$SUPERVISE" -j 8 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.$tag"
		assert_eq 1 "$RC" "$tag: exit status (12 tasks, 8 at once, at most $u processes); stderr: $(head -c 200 "$SANDBOX/err.$tag")"
		rel_verify "$tag" "$RUN" "$LOG" 12 any
		OWN_FAIL_OK=1 check_slots "$tag" 12 'Resource temporarily unavailable'
		note "$tag: exit $RC, $NCOMP completed, $NFAIL failed; $(sort "$SANDBOX/err.$tag" | sed 's/task [0-9]*/task N/' | uniq -c | head -n 3 | tr -s ' \n' ' ')"
		rel_assert_none_left "$tag" "$RUN" 3 "$tick"
	done

	# the task itself uses up the process limit (forks sleepers until fork
	# fails), then writes 2,000,009 bytes and exits 0: its run must still
	# complete with the whole transcript (the worker's own writes must not
	# depend on a process it can no longer get)
	tag=nproctask
	new_run "$tag"
	LOG="$SANDBOX/nb.$tag/log"
	mkdir -p "$SANDBOX/nb.$tag"
	chown "$NOBODY" "$SANDBOX/nb.$tag"
	REL_CLEANUP+=("/dev/shm/oneshot.$NOBODY.$RUN")
	cat >"$SANDBOX/fill.py" <<'EOF'
import os, sys, time
pf = sys.argv[1]
kids = 0
while kids < 500:
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    with open(pf, "a") as f:
        f.write("%d\n" % pid)
    kids += 1
line = b"x" * 99 + b"\n"
for i in range(20000):
    os.write(1, line)
os.write(1, b"filled\n")
EOF
	: >"$SANDBOX/nb.$tag/pids"
	chown "$NOBODY" "$SANDBOX/nb.$tag/pids"
	chmod 0644 "$SANDBOX/fill.py"
	echo "'$PYTHON' '$SANDBOX/fill.py' '$SANDBOX/nb.$tag/pids'" >"$SANDBOX/tasks.$tag"
	chmod 0644 "$SANDBOX/tasks.$tag"
	tick=$(rel_tick)
	run_limited "$tag" setpriv --reuid="$NOBODY" --regid="$(id -g nobody)" --clear-groups \
		env HOME="$SANDBOX/nb.$tag" bash -c 'ulimit -u 12 && exec "$@"' - \
		"$SUPERVISE" -j 1 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.$tag"
	assert_eq 0 "$RC" "$tag: exit status; stderr: $(head -c 200 "$SANDBOX/err.$tag")"
	rel_verify "$tag" "$RUN" "$LOG" 1 any
	info=$(task_info "$LOG.ps.json" 1)
	size=$(stat -c %s "$LOG/1.log" 2>/dev/null)
	note "$tag: exit $RC, $(wc -l <"$SANDBOX/nb.$tag/pids") sleepers forked, task 1: $info; transcript $size bytes"
	assert_eq "COMPLETED 0 -" "$info" "$tag: task 1 (state exit message)"
	assert_eq 2000007 "$size" "$tag: transcript size"
	assert_eq filled "$(tail -n 1 "$LOG/1.log" 2>/dev/null)" "$tag: transcript's last line"
	rel_assert_none_left "$tag" "$RUN" 3 "$tick" "$SANDBOX/nb.$tag/pids"
else
	SKIPPED+=(nproc)
	note "nproc: skipped: needs root, setpriv and a user nobody who can run $SUPERVISE"
fi

[ "${#SKIPPED[@]}" -eq 0 ] || note "cases skipped: ${SKIPPED[*]}"
