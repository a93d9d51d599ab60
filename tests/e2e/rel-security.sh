#!/bin/bash
# rel-security.sh: the boundaries of doc/threat-model.md, tested with a second,
# unprivileged user (nobody). Needs root (to act as two users), setpriv and a
# user nobody that can run the binaries; skipped (77) otherwise.
#
#  other-user  while root's run is live: nobody's oneshot-ps does not list it,
#              -n / --json / --wait / -f on it exit 1, --rm is refused (exit 1)
#              and the table stays; nobody cannot read, write, map or remove
#              the table object (mode 0600 in sticky /dev/shm), cannot read
#              the log directory or a transcript, cannot signal the supervisor,
#              a worker or a task (they are still running afterwards).
#  modes       under umask 000: the table is 0600, the log directory and the
#              parents it creates 0700, every file in it 0600.
#  planted     a pre-existing /dev/shm/oneshot.0.NAME made by nobody, one of
#              root's with mode 0644, a symlink, a FIFO, a directory: the
#              supervisor exits 2 with one line and does not touch the object
#              (bytes, owner, mode, mtime; a symlink's target too); oneshot-ps
#              -n NAME exits 3 (not a valid table; 1 for what is no regular
#              file) at once on each, and --rm does not hang; root's listing
#              does not hang on a FIFO nobody made under nobody's own name.
#  symlinks    LOGDIR/joblog, events.jsonl, summary.json.tmp, summary.json,
#              1.log, supervisor.log (--detach) as symlinks to a file of root's
#              or to a path that does not exist: never followed (the target is
#              unchanged or still absent); joblog / events.jsonl /
#              supervisor.log: exit 2, nothing started; 1.log: task 1 FAILED
#              (its slot says why), the other task COMPLETED, exit 1.
#  logdir      a log directory writable by others (0777) or the group (0770),
#              or owned by nobody: exit 2 with one line, nothing created in it.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/rel-lib.sh"

. "$ONESHOT_SRCDIR/tests/e2e/nobody-lib.sh" "$PS" "$SUPERVISE"

# fingerprint PATH: what "not touched" compares (without following a symlink):
# type, owner, mode, size, mtime, and the bytes (or the link's target)
fingerprint() {
	local p=$1
	if [ -L "$p" ]; then
		echo "link $(stat -c '%u %a' "$p") -> $(readlink "$p")"
	elif [ -f "$p" ]; then
		echo "file $(stat -c '%u %g %a %s %Y' "$p") $(sha256sum <"$p" | cut -c1-16)"
	elif [ -e "$p" ]; then
		echo "other $(stat -c '%F %u %g %a %Y' "$p")"
	else
		echo absent
	fi
}

# boundary WHAT: count one boundary checked (the "inputs" figure)
boundary() { REL_INPUTS=$((REL_INPUTS + 1)); }

# ---------------------------------------------------------------- other-user
new_run live
PD="$SANDBOX/pids.live"
mkdir "$PD"
printf 'echo $$ >%s/$ONESHOT_TASK_ID; echo secret-$ONESHOT_TASK_ID; sleep 30\n' "$PD" "$PD" >"$SANDBOX/tasks.live"
(umask 000 && exec env --default-signal=INT,QUIT "$SUPERVISE" -j 2 --grace 1 -n "$RUN" \
	-L "$LOG/a/b" "$SANDBOX/tasks.live" 2>"$SANDBOX/err.live") &
SUP_PID=$!
E2E_BG_PIDS+=("$SUP_PID")
LIVE_LOG="$LOG/a/b"
wait_for "[ -s '$PD/1' ] && [ -s '$PD/2' ]" 20 || fatal "live: the tasks did not start within 20 s"
wait_for "grep -q secret '$LIVE_LOG/1.log' 2>/dev/null" 10 || fail "live: task 1's transcript has no output"
REL_RUNS=$((REL_RUNS + 1))
LIVE_RUN=$RUN LIVE_SHM=$SHM
workers=$(rel_workers "$SUP_PID")
tasks="$(cat "$PD/1") $(cat "$PD/2")"
before=$(fingerprint "$LIVE_SHM")

# oneshot-ps as nobody
out=$(as_nobody "$PS" 2>&1)
boundary
case $out in *"$LIVE_RUN"*) fail "other-user: nobody's oneshot-ps lists root's run: [$out]" ;; esac
out=$(as_nobody "$PS" --json 2>&1)
boundary
case $out in *"$LIVE_RUN"*) fail "other-user: nobody's oneshot-ps --json lists root's run" ;; esac
for args in "-n $LIVE_RUN" "-n $LIVE_RUN --json" "-n $LIVE_RUN --wait 1" "-n $LIVE_RUN -f" "-n $LIVE_RUN -u 0" "-n $LIVE_RUN -u root --json"; do
	out=$(as_nobody timeout 10 "$PS" $args 2>&1 </dev/null)
	rc=$?
	boundary
	assert_eq 1 "$rc" "other-user: nobody's oneshot-ps $args: exit status [$(head -c 200 <<<"$out")]"
	case $out in *secret* | *"sleep 30"*) fail "other-user: nobody's oneshot-ps $args shows root's tasks: [$(head -c 200 <<<"$out")]" ;; esac
done
for args in "--rm $LIVE_RUN" "--rm $LIVE_RUN -u 0"; do
	out=$(as_nobody timeout 10 "$PS" $args 2>&1 </dev/null)
	rc=$?
	boundary
	assert_eq 1 "$rc" "other-user: nobody's oneshot-ps $args: exit status [$(head -c 200 <<<"$out")]"
	assert_file "$LIVE_SHM" "other-user: root's table after nobody's oneshot-ps $args"
done

# the table object itself
assert_eq "600 0" "$(stat -c '%a %u' "$LIVE_SHM")" "other-user: table mode and owner"
as_nobody cat "$LIVE_SHM" >/dev/null 2>&1 && fail "other-user: nobody can read root's table"
boundary
as_nobody sh -c 'printf x >>"$1"' - "$LIVE_SHM" 2>/dev/null && fail "other-user: nobody can write root's table"
boundary
as_nobody "$PYTHON" -c '
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
mmap.mmap(fd, 4096, prot=mmap.PROT_READ)' "$LIVE_SHM" 2>/dev/null && fail "other-user: nobody can map root's table"
boundary
as_nobody rm -f "$LIVE_SHM" 2>/dev/null
boundary
assert_file "$LIVE_SHM" "other-user: root's table after nobody's rm -f (sticky /dev/shm)"
as_nobody mv "$LIVE_SHM" "/dev/shm/oneshot.$NOBODY.stolen-$$" 2>/dev/null &&
	fail "other-user: nobody can rename root's table"
boundary
rm -f "/dev/shm/oneshot.$NOBODY.stolen-$$"
assert_eq "$before" "$(fingerprint "$LIVE_SHM")" "other-user: root's table after nobody's attempts"

# the log directory
as_nobody ls "$LIVE_LOG" >/dev/null 2>&1 && fail "other-user: nobody can list root's log directory"
boundary
as_nobody cat "$LIVE_LOG/1.log" >/dev/null 2>&1 && fail "other-user: nobody can read a transcript of root's run"
boundary

# signals
for p in "$SUP_PID" $workers $tasks; do
	as_nobody kill -TERM "$p" 2>/dev/null && fail "other-user: nobody could send SIGTERM to $p ($(describe_pids "$p"))"
	as_nobody kill -KILL "$p" 2>/dev/null && fail "other-user: nobody could send SIGKILL to $p"
	boundary
done
as_nobody kill -TERM -- "-$(cut -d' ' -f1 <<<"$tasks")" 2>/dev/null && fail "other-user: nobody could signal task 1's process group"
sleep 0.2
for p in "$SUP_PID" $workers $tasks; do
	proc_alive "$p" || fail "other-user: $p is gone after nobody's signals"
done
assert_eq "RUNNING RUNNING" "$(echo $(for i in 1 2; do states "$LIVE_LOG" $i; done))" "other-user: task states after nobody's signals"

# end the run; then the modes, with umask 000
kill -TERM "$SUP_PID"
wait_exit "$SUP_PID" 15
assert_eq 143 "$EXIT_STATUS" "live run: exit status after root's SIGTERM"
assert_eq 600 "$(stat -c %a "$LIVE_SHM")" "modes: table (umask 000)"
for d in "$LOG" "$LOG/a" "$LOG/a/b"; do
	assert_eq 700 "$(stat -c %a "$d")" "modes: log directory $d (umask 000)"
	boundary
done
for f in 1.log 2.log joblog events.jsonl summary.json; do
	assert_eq 600 "$(stat -c %a "$LIVE_LOG/$f" 2>/dev/null)" "modes: $f (umask 000)"
	boundary
done
# a finished run: still not nobody's to remove
as_nobody "$PS" --rm "$LIVE_RUN" >/dev/null 2>&1
assert_eq 1 "$?" "other-user: nobody's oneshot-ps --rm on root's finished run"
assert_file "$LIVE_SHM" "other-user: root's finished table after nobody's --rm"
boundary

# ---------------------------------------------------------------- planted
echo "true" >"$SANDBOX/tasks.one"
# planted TAG SETUP...: SETUP makes $SHM; the supervisor must refuse with 2
planted() {
	local tag=$1 before after out
	shift
	new_run "$tag"
	"$@"
	before=$(fingerprint "$SHM")
	[ -e "$SANDBOX/target.$tag" ] && tbefore=$(fingerprint "$SANDBOX/target.$tag") || tbefore=absent
	sleep 0.01 # so that a write would change the mtime
	supervise -n "$RUN" -L "$LOG" "$SANDBOX/tasks.one" >"$SANDBOX/out.$tag" 2>"$SANDBOX/err.$tag"
	rc=$?
	REL_RUNS=$((REL_RUNS + 1))
	boundary
	assert_eq 2 "$rc" "planted $tag: supervisor exit status [$(head -c 200 "$SANDBOX/err.$tag")]"
	assert_eq 1 "$(wc -l <"$SANDBOX/err.$tag" | tr -d ' ')" "planted $tag: lines on stderr"
	assert_eq "$before" "$(fingerprint "$SHM")" "planted $tag: the object after the refusal"
	if [ -e "$SANDBOX/target.$tag" ] || [ "$tbefore" != absent ]; then
		assert_eq "$tbefore" "$(fingerprint "$SANDBOX/target.$tag")" "planted $tag: the symlink's target"
	fi
	assert_eq "" "$(ls "$LOG" 2>/dev/null | grep -v -e '^joblog$' -e '^events.jsonl$')" "planted $tag: files made in the log directory"
	timeout -k 1 5 "$PS" -n "$RUN" >/dev/null 2>"$SANDBOX/pserr.$tag" </dev/null
	rc=$?
	if [ -f "$SHM" ] && [ ! -L "$SHM" ]; then
		assert_eq 3 "$rc" "planted $tag: oneshot-ps -n exit status [$(head -c 200 "$SANDBOX/pserr.$tag")]"
	else
		# not a regular file: "not valid" (3) or "cannot be read" (1), at once
		if [ "$rc" -eq 124 ]; then
			fail "planted $tag: oneshot-ps -n $RUN hangs (killed after 5 s)"
		else
			assert_match '^[13]$' "$rc" "planted $tag: oneshot-ps -n exit status [$(head -c 200 "$SANDBOX/pserr.$tag")]"
		fi
	fi
	assert_eq "$before" "$(fingerprint "$SHM")" "planted $tag: the object after oneshot-ps"
	# root may remove it; whatever it answers, at once
	timeout -k 1 5 "$PS" --rm "$RUN" >/dev/null 2>"$SANDBOX/psrm.$tag" </dev/null
	[ "$?" -eq 124 ] && fail "planted $tag: oneshot-ps --rm $RUN hangs (killed after 5 s)"
	rm -rf "$SHM"
}
by_nobody() { as_nobody sh -c 'printf planted-by-nobody >"$1" && chmod 0600 "$1"' - "$SHM"; }
by_nobody_copy() { as_nobody sh -c 'cat >"$1" && chmod 0600 "$1"' - "$SHM" <"$LIVE_SHM"; }
mode0644() { cp "$LIVE_SHM" "$SHM" && chmod 0644 "$SHM"; }
mode0640() { cp "$LIVE_SHM" "$SHM" && chmod 0640 "$SHM"; }
symlink() { printf 'precious\n' >"$SANDBOX/target.$1" && chmod 0600 "$SANDBOX/target.$1" && ln -s "$SANDBOX/target.$1" "$SHM"; }
dangling() { ln -s "$SANDBOX/target.$1" "$SHM"; }
fifo() { mkfifo -m 0600 "$SHM"; }
directory() { mkdir -m 0700 "$SHM"; }
planted nobody by_nobody
planted nobodycopy by_nobody_copy
planted mode644 mode0644
planted mode640 mode0640
planted symlink symlink symlink
planted dangling dangling dangling
planted fifo fifo
planted dir directory

# a FIFO another user planted under their own name must not hang root's
# listing (root lists every user's runs)
NB_FIFO="/dev/shm/oneshot.$NOBODY.e2e-rel-security-fifo-$$"
REL_CLEANUP+=("$NB_FIFO")
as_nobody mkfifo -m 0600 "$NB_FIFO" || fail "nobody could not make $NB_FIFO"
for args in "" "--json" "-u nobody"; do
	timeout -k 1 5 "$PS" $args >/dev/null 2>"$SANDBOX/pserr.list" </dev/null
	rc=$?
	boundary
	if [ "$rc" -eq 124 ]; then
		fail "planted: root's oneshot-ps $args hangs on a FIFO nobody made at $NB_FIFO (killed after 5 s)"
	else
		assert_match '^[03]$' "$rc" "planted: root's oneshot-ps $args with nobody's FIFO in /dev/shm: exit status [$(head -c 200 "$SANDBOX/pserr.list")]"
	fi
done
rm -f "$NB_FIFO"

# ---------------------------------------------------------------- symlinks
printf 'echo one\necho two\n' >"$SANDBOX/tasks.two"
# linked TAG FILE KIND EXPECT [ARGS...]: LOGDIR/FILE is a symlink to a file of
# root's (KIND file) or to a path that does not exist (KIND dangling)
linked() {
	local tag=$1 file=$2 kind=$3 want=$4 target tb
	shift 4
	new_run "$tag"
	mkdir -m 0700 "$LOG"
	target="$SANDBOX/target.$tag"
	[ "$kind" = file ] && printf 'precious %s\n' "$tag" >"$target" && chmod 0600 "$target"
	ln -s "$target" "$LOG/$file"
	tb=$(fingerprint "$target")
	sleep 0.01
	supervise "$@" -j 2 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.two" >"$SANDBOX/out.$tag" 2>"$SANDBOX/err.$tag"
	rc=$?
	REL_RUNS=$((REL_RUNS + 1))
	boundary
	if [ "$*" = "-d" ] && [ "$rc" -eq 0 ]; then
		# detached: wait for the run to end
		p=$(awk '{ print $2 }' "$SANDBOX/out.$tag")
		[ -n "$p" ] && E2E_BG_PIDS+=("$p") && wait_for "! proc_alive $p" 15
	fi
	assert_eq "$tb" "$(fingerprint "$target")" "symlink $file -> $kind: the target after the run (exit $rc)"
	# a rename() over the link (summary.json) replaces the link itself: fine
	[ "$file" = summary.json ] ||
		assert_eq "link 0 -> $target" "$(fingerprint "$LOG/$file" | sed 's/^link [0-9]* [0-9]* /link 0 /')" "symlink $file: the link itself"
	case $want in
	refuse)
		assert_eq 2 "$rc" "symlink $file -> $kind: exit status [$(head -c 200 "$SANDBOX/err.$tag")]"
		assert_eq 1 "$(wc -l <"$SANDBOX/err.$tag" | tr -d ' ')" "symlink $file -> $kind: lines on stderr"
		assert_eq "" "$(ls "$LOG"/[0-9]*.log 2>/dev/null)" "symlink $file -> $kind: transcripts (nothing may start)"
		;;
	task1)
		assert_eq 1 "$rc" "symlink $file -> $kind: exit status [$(head -c 200 "$SANDBOX/err.$tag")]"
		rel_verify "symlink $file" "$RUN" "$LOG" 2 any
		info=$("$PYTHON" -c '
import json, sys
t = json.load(open(sys.argv[1]))["tasks"]
print(t[0]["state"], t[0]["message"], "/", t[1]["state"])' "$LOG.ps.json" 2>/dev/null)
		assert_match '^FAILED .*(symbolic link|ELOOP).* / COMPLETED$' "$info" "symlink $file -> $kind: task 1 / task 2"
		;;
	any)
		assert_match '^[0-2]$' "$rc" "symlink $file -> $kind: exit status [$(head -c 200 "$SANDBOX/err.$tag")]"
		;;
	esac
}
for kind in file dangling; do
	linked "jl$kind" joblog "$kind" refuse
	linked "ev$kind" events.jsonl "$kind" refuse
	linked "t1$kind" 1.log "$kind" task1
	linked "st$kind" summary.json.tmp "$kind" any
	linked "sj$kind" summary.json "$kind" any
	linked "sl$kind" supervisor.log "$kind" refuse -d
done

# ---------------------------------------------------------------- logdir
# baddir TAG SETUP: the log directory $LOG made by SETUP must be refused
baddir() {
	local tag=$1 before
	shift
	new_run "$tag"
	"$@"
	before=$(ls -A "$LOG")
	supervise -n "$RUN" -L "$LOG" "$SANDBOX/tasks.one" >"$SANDBOX/out.$tag" 2>"$SANDBOX/err.$tag"
	rc=$?
	REL_RUNS=$((REL_RUNS + 1))
	boundary
	assert_eq 2 "$rc" "logdir $tag: exit status [$(head -c 200 "$SANDBOX/err.$tag")]"
	assert_eq 1 "$(wc -l <"$SANDBOX/err.$tag" | tr -d ' ')" "logdir $tag: lines on stderr"
	assert_match "$LOG" "$(cat "$SANDBOX/err.$tag")" "logdir $tag: the message names the directory"
	assert_eq "$before" "$(ls -A "$LOG")" "logdir $tag: files made in the refused directory"
	assert_no_file "$SHM" "logdir $tag: the run's table"
}
mode_dir() { mkdir "$LOG" && chmod "$1" "$LOG"; }
nobodys_dir() { mkdir -m 0700 "$LOG" && chown "$NOBODY" "$LOG"; }
baddir world mode_dir 0777
baddir sticky mode_dir 1777
baddir group mode_dir 0770
baddir owner nobodys_dir
