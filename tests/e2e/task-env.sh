#!/bin/bash
# task-env.sh: what every task starts with: -C/--chdir, --env, --rlimit,
# --pty-size and TERM, seen from inside the tasks (shell lines and plain lines,
# which are exec'd without a shell); the worker keeps its own limits; every
# invalid value is refused with one line and exit status 2, nothing created.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"

BASH_BIN=$(command -v bash) || skip "bash not on PATH"
# Under CI's valgrind wrapper (ONESHOT_SUPERVISE=.ci/valgrind-wrap) the worker
# is a valgrind process: valgrind keeps RLIMIT_NOFILE to itself (a
# setrlimit of it never reaches the kernel, and its hard limit reads a few
# descriptors lower), so nofile cannot be observed there.
UNDER_VALGRIND=0
if [ "$(head -c 2 "$SUPERVISE")" = '#!' ] && grep -q valgrind "$SUPERVISE"; then
	UNDER_VALGRIND=1
	note "under valgrind: the nofile checks are skipped"
fi

# the_soft FILE ROW, the_hard FILE ROW: the soft or hard limit of ROW ("Max
# open files", ...) in a copy of /proc/PID/limits (columns at 27 and 48)
limits_col() {
	awk -v row="$2" -v from="$3" '
		index($0, row " ") == 1 { v = substr($0, from, 21); gsub(/ /, "", v); print v; n++ }
		END { if (!n) print "NOROW" }' "$1" 2>/dev/null
}
the_soft() { limits_col "$1" "$2" 27; }
the_hard() { limits_col "$1" "$2" 48; }

# pick WANT HARD: WANT, or HARD when the caller's hard limit is lower
pick() {
	if [ "$2" != unlimited ] && [ "$2" -lt "$1" ]; then
		echo "$2"
	else
		echo "$1"
	fi
}

# ------------------------------------------------------------------ run 1
# Everything at once.  The directory has a space and a script of its own.
new_run main
CWD="$SANDBOX/cwd dir"
mkdir "$CWD"
printf '#!/bin/sh\necho "here in $(/bin/pwd)"\n' >"$CWD/here.sh"
chmod +x "$CWD/here.sh"

NOFILE=$(pick 123 "$(ulimit -Hn)")
NPROC=$(pick 4321 "$(ulimit -Hu)")
CPU=$(pick 37 "$(ulimit -Ht)")
# as (KiB from ulimit -v), fsize and core (KiB in bash's ulimit -f/-c)
AS_K=$(pick 1048576 "$(ulimit -Hv)")
# Under AddressSanitizer the worker itself reserves terabytes of address
# space (shadow memory), and --rlimit as must hold for the worker for the
# instant of the spawn: no finite as can work there, so ask for unlimited
# and check that instead.
AS_ARG="${AS_K}K"
if ldd "$SUPERVISE" 2>/dev/null | grep -q libasan; then
	AS_ARG=unlimited AS_K=unlimited
	note "AddressSanitizer build: --rlimit as=unlimited instead of ${AS_K}K"
fi
FSIZE_K=$(pick 10240 "$(ulimit -Hf)")
CORE_K=$(pick 3072 "$(ulimit -Hc)")

cat >"$SANDBOX/tasks" <<EOF
/bin/pwd
pwd
printenv FOO
printf '%s|%s|%s|%s|%s\n' "\$FOO" "\$EMPTY" "\$WEIRD" "\$TERM" "\$E2E_MARKER"
cat /proc/self/limits
for o in t v f c n u; do $BASH_BIN -c "ulimit -\$o"; done
ulimit -a
stty size
printenv ONESHOT_RUN ONESHOT_TASK_ID TERM
echo \$PPID >'$SANDBOX/wpid'; i=0; while [ ! -e '$SANDBOX/go' ] && [ \$i -lt 600 ]; do sleep 0.05; i=\$((i+1)); done
env
./here.sh
EOF
# tasks 1, 3, 5, 9, 11, 12 are plain lines: exec'd directly, no shell
E2E_MARKER="marker-$$" TERM=caller-term \
	start_bg -j 4 -n "$RUN" -L "$LOG" -C "$CWD" \
	--env FOO=bar --env EMPTY= --env 'WEIRD=a b=c' --env FOO=baz \
	--rlimit cpu="$CPU" --rlimit as="$AS_ARG" --rlimit fsize="${FSIZE_K}K" \
	--rlimit core="${CORE_K}K" --rlimit nofile="$NOFILE" --rlimit nproc="$NPROC" \
	--rlimit nofile="$NOFILE" --pty-size 132x43 "$SANDBOX/tasks"
# Task 10's worker, once the task is recorded RUNNING (which the worker does
# after the spawn, its own limits back): its limits are the caller's, not
# the task's.  (Read from here: the task itself could look at the worker in
# the instant between its exec and the worker waking up.)
if wait_for "[ -s '$SANDBOX/wpid' ] && [[ \$(states '$LOG' 10) == *RUNNING* ]]" 20; then
	cat "/proc/$(cat "$SANDBOX/wpid")/limits" >"$SANDBOX/worker-limits"
else
	fail "task 10 did not start within 20 s"
fi
touch "$SANDBOX/go"
wait_exit "$SUP_PID" 40
assert_eq 0 "$EXIT_STATUS" "exit status of run 1"
assert_eq 12 "$(joblog_count "$LOG")" "run 1 joblog lines"
for i in $(seq 12); do
	assert_eq COMPLETED "$(joblog_col "$LOG" "$i" State)" "run 1 task $i State"
done

# cwd, for a plain line (/bin/pwd, no shell) and a shell line (the builtin)
assert_eq "$CWD" "$(cat "$LOG/1.log" 2>/dev/null)" "task 1 (/bin/pwd, plain) cwd"
assert_eq "$CWD" "$(cat "$LOG/2.log" 2>/dev/null)" "task 2 (pwd, shell) cwd"
assert_eq "here in $CWD" "$(cat "$LOG/12.log" 2>/dev/null)" "task 12 (./here.sh, relative to -C)"

# --env: the last of a name wins, empty and '='-holding values, the caller's
# environment still there, TERM not taken from the caller
assert_eq baz "$(cat "$LOG/3.log" 2>/dev/null)" "task 3 (printenv FOO, plain)"
assert_eq "baz||a b=c|xterm-256color|marker-$$" "$(cat "$LOG/4.log" 2>/dev/null)" \
	"task 4 FOO|EMPTY|WEIRD|TERM|E2E_MARKER"
assert_eq "$RUN
9
xterm-256color" "$(cat "$LOG/9.log" 2>/dev/null)" "task 9 (printenv ONESHOT_RUN ONESHOT_TASK_ID TERM, plain)"
env11="$LOG/11.log"
for v in TERM ONESHOT_RUN ONESHOT_TASK_ID FOO; do
	assert_eq 1 "$(grep -c "^$v=" "$env11" 2>/dev/null)" "task 11 (env): times $v is set"
done
assert_eq "FOO=baz" "$(grep '^FOO=' "$env11" 2>/dev/null)" "task 11 (env): FOO"
assert_eq "ONESHOT_TASK_ID=11" "$(grep '^ONESHOT_TASK_ID=' "$env11" 2>/dev/null)" "task 11 (env): ONESHOT_TASK_ID"

# --rlimit, exactly, from /proc/self/limits of a plain line: soft limits as
# asked, hard limits the caller's
L5="$LOG/5.log"
assert_eq "$CPU" "$(the_soft "$L5" "Max cpu time")" "task 5 soft cpu"
assert_eq "$([ "$AS_K" = unlimited ] && echo unlimited || echo $((AS_K * 1024)))" \
	"$(the_soft "$L5" "Max address space")" "task 5 soft as"
assert_eq $((FSIZE_K * 1024)) "$(the_soft "$L5" "Max file size")" "task 5 soft fsize"
assert_eq $((CORE_K * 1024)) "$(the_soft "$L5" "Max core file size")" "task 5 soft core"
[ "$UNDER_VALGRIND" = 1 ] ||
	assert_eq "$NOFILE" "$(the_soft "$L5" "Max open files")" "task 5 soft nofile"
assert_eq "$NPROC" "$(the_soft "$L5" "Max processes")" "task 5 soft nproc"
assert_eq "$(ulimit -Hn)" "$(the_hard "$L5" "Max open files")" "task 5 hard nofile (unchanged)"
assert_eq "$(ulimit -Ht)" "$(the_hard "$L5" "Max cpu time")" "task 5 hard cpu (unchanged)"
assert_eq "$(ulimit -Hu)" "$(the_hard "$L5" "Max processes")" "task 5 hard nproc (unchanged)"

# the same through bash's ulimit -t -v -f -c -n -u (KiB for -v -f -c)
U6=$(echo $(cat "$LOG/6.log" 2>/dev/null))
[ "$UNDER_VALGRIND" = 0 ] || U6=$(awk -v n="$NOFILE" '{ $5 = n; print }' <<<"$U6")
assert_eq "$CPU $AS_K $FSIZE_K $CORE_K $NOFILE $NPROC" "$U6" "task 6 ulimit -t -v -f -c -n -u"
# and ulimit -a of /bin/sh (dash and bash word it differently)
A7=$(cat "$LOG/7.log" 2>/dev/null)
assert_match "(time|cpu)[^"$'\n'"]*[ )]$CPU("$'\n'"|$)" "$A7" "task 7 ulimit -a: cpu"
[ "$UNDER_VALGRIND" = 1 ] ||
	assert_match "(nofiles|open files)[^"$'\n'"]*[ )]$NOFILE("$'\n'"|$)" "$A7" "task 7 ulimit -a: nofile"
assert_match "(vmemory|virtual memory)[^"$'\n'"]*[ )]$AS_K("$'\n'"|$)" "$A7" "task 7 ulimit -a: as"

# --pty-size
assert_eq "43 132" "$(tr -d '\r\n' <"$LOG/8.log" 2>/dev/null)" "task 8 stty size"

# the worker (task 10's parent) runs with the caller's limits, not the task's
L10="$SANDBOX/worker-limits"
cat /proc/$$/limits >"$SANDBOX/caller-limits"
for row in "Max cpu time" "Max address space" "Max file size" "Max core file size" \
	"Max open files" "Max processes"; do
	assert_eq "$(the_soft "$SANDBOX/caller-limits" "$row")" "$(the_soft "$L10" "$row")" \
		"worker's own soft limit after the spawn: $row"
done
assert_no_survivors "$RUN" 3

# ------------------------------------------------------------------ run 2
# Defaults and enforcement: TERM=xterm-256color whatever the caller has, 80x24,
# a relative -C is relative to the supervisor's cwd at start, and the limits
# really bite (cpu: SIGXCPU, fsize: SIGXFSZ on the write past it).
new_run enforce
mkdir "$SANDBOX/rel"
cat >"$SANDBOX/tasks2" <<'EOF'
printenv TERM
stty size
/bin/pwd
while :; do :; done
head -c 5000 /dev/zero >big; echo "status $?"
EOF
(cd "$SANDBOX" && TERM=caller-term SUPERVISE_LIMIT=30 supervise -j 5 -n "$RUN" -L "$LOG" \
	-C rel --rlimit cpu=1 --rlimit fsize=1K --timeout 20 tasks2)
rc=$?
assert_eq 1 "$rc" "exit status of run 2 (task 4 fails)"
assert_eq xterm-256color "$(cat "$LOG/1.log" 2>/dev/null)" "run 2 task 1: TERM by default"
assert_eq "24 80" "$(tr -d '\r\n' <"$LOG/2.log" 2>/dev/null)" "run 2 task 2: default stty size"
assert_eq "$SANDBOX/rel" "$(cat "$LOG/3.log" 2>/dev/null)" "run 2 task 3: relative -C"
assert_eq FAILED "$(joblog_col "$LOG" 4 State)" "run 2 task 4 (busy loop under cpu=1) State"
assert_eq 24 "$(joblog_col "$LOG" 4 Signal)" "run 2 task 4 killed by SIGXCPU"
assert_eq 1024 "$(stat -c %s "$SANDBOX/rel/big" 2>/dev/null)" "run 2 task 5: file size stops at fsize=1K"
assert_eq "status $((128 + $(kill -l XFSZ)))" "$(tail -n 1 "$LOG/5.log" 2>/dev/null)" \
	"run 2 task 5: the write past fsize=1K kills head with SIGXFSZ"
assert_no_survivors "$RUN" 3

# ------------------------------------------------------------------ run 3
# --env TERM=..., and a caller's ONESHOT_RUN/ONESHOT_TASK_ID never reach a task
new_run term
printf '%s\n' 'printenv TERM ONESHOT_RUN ONESHOT_TASK_ID ONESHOT_RUNX' >"$SANDBOX/tasks3"
ONESHOT_RUN=caller ONESHOT_TASK_ID=77 TERM=caller-term \
	supervise -n "$RUN" -L "$LOG" --env TERM=vt100 --env ONESHOT_RUNX=ok "$SANDBOX/tasks3"
assert_eq 0 "$?" "exit status of run 3"
assert_eq "vt100
$RUN
1
ok" "$(cat "$LOG/1.log" 2>/dev/null)" "run 3: TERM, ONESHOT_RUN, ONESHOT_TASK_ID, ONESHOT_RUNX"

# ------------------------------------------------------------------ refusals
# Every invalid value: exit 2, one line naming the option, no table, no log
# directory, no task run.
touch "$SANDBOX/afile"
printf '%s\n' "touch '$SANDBOX/ran'" >"$SANDBOX/tasks-ran"
bad_cases=(
	"--chdir|-C|$SANDBOX/nope"
	"--chdir|--chdir|$SANDBOX/nope"
	"--chdir|-C|$SANDBOX/afile"
	"--chdir|-C|"
	"--env|--env|FOO"
	"--env|--env|1A=b"
	"--env|--env|=b"
	"--env|--env|A-B=1"
	"--env|--env|A B=1"
	"--env|--env|ONESHOT_RUN=x"
	"--env|--env|ONESHOT_TASK_ID=1"
	"--rlimit|--rlimit|bogus=1"
	"--rlimit|--rlimit|cpu"
	"--rlimit|--rlimit|cpu="
	"--rlimit|--rlimit|CPU=5"
	"--rlimit|--rlimit|cpu=0"
	"--rlimit|--rlimit|cpu=-1"
	"--rlimit|--rlimit|cpu=1K"
	"--rlimit|--rlimit|cpu=1.5"
	"--rlimit|--rlimit|as=1M"
	"--rlimit|--rlimit|as=12X"
	"--rlimit|--rlimit|as=18446744073709551616"
	"--rlimit|--rlimit|fsize=1T"
	"--rlimit|--rlimit|core=1.5M"
	"--rlimit|--rlimit|nofile=3"
	"--rlimit|--rlimit|nofile=4K"
	"--rlimit|--rlimit|nproc=0"
	"--rlimit|--rlimit|nproc=unlimitedx"
	"--pty-size|--pty-size|80"
	"--pty-size|--pty-size|0x24"
	"--pty-size|--pty-size|80x0"
	"--pty-size|--pty-size|10001x24"
	"--pty-size|--pty-size|80x10001"
	"--pty-size|--pty-size|x"
	"--pty-size|--pty-size|80x24x"
	"--pty-size|--pty-size|-80x24"
	"--pty-size|--pty-size|80*24"
)
# above the hard limit (where the caller has a finite one)
hard_n=$(ulimit -Hn)
if [ "$hard_n" != unlimited ]; then
	bad_cases+=("--rlimit|--rlimit|nofile=$((hard_n + 1))" "--rlimit|--rlimit|nofile=unlimited")
fi
# not root: nproc below what the run itself needs (supervisor + 4 workers + 4 tasks)
if [ "$E2E_UID" != 0 ]; then
	bad_cases+=("--rlimit|-j 4 --rlimit|nproc=8")
fi
n=0
for c in "${bad_cases[@]}"; do
	IFS='|' read -r opt flag value <<<"$c"
	n=$((n + 1))
	new_run "bad$n"
	supervise -n "$RUN" -L "$LOG" $flag "$value" "$SANDBOX/tasks-ran" \
		>"$SANDBOX/bad.out" 2>"$SANDBOX/bad.err"
	rc=$?
	what="$flag '$value'"
	assert_eq 2 "$rc" "$what: exit status"
	assert_eq 1 "$(wc -l <"$SANDBOX/bad.err")" "$what: lines on stderr [$(cat "$SANDBOX/bad.err")]"
	assert_match "error: $opt: " "$(cat "$SANDBOX/bad.err")" "$what: the message names the option"
	assert_eq "" "$(cat "$SANDBOX/bad.out")" "$what: standard output"
	assert_no_file "$SHM" "$what: table"
	assert_no_file "$LOG" "$what: log directory"
done
assert_no_file "$SANDBOX/ran" "a task of a refused run"
# the refusals say why
new_run why
supervise -n "$RUN" -L "$LOG" -C "$SANDBOX/afile" "$SANDBOX/tasks-ran" 2>"$SANDBOX/bad.err"
assert_match "--chdir: $SANDBOX/afile: Not a directory" "$(cat "$SANDBOX/bad.err")" "-C FILE message"
if [ "$hard_n" != unlimited ]; then
	supervise -n "$RUN" -L "$LOG" --rlimit nofile=$((hard_n + 1)) "$SANDBOX/tasks-ran" 2>"$SANDBOX/bad.err"
	shown=$hard_n
	[ "$UNDER_VALGRIND" = 0 ] || shown='[0-9]+'
	assert_match "nofile=$((hard_n + 1)) is above the hard limit $shown\$" \
		"$(sed 's/ (try --help)$//' "$SANDBOX/bad.err")" "--rlimit above the hard limit message"
fi
