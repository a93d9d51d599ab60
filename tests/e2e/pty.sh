#!/bin/bash
# pty.sh: every task runs on its own pseudo-terminal: stdin, stdout and stderr
# are a terminal, `tty` names /dev/pts/N, the PTY is the controlling terminal
# of a session the task leads, in its own (foreground) process group, 80x24;
# the environment carries ONESHOT_RUN and ONESHOT_TASK_ID plus the
# supervisor's own environment.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"

new_run main
mkdir "$SANDBOX/tty"
T="$SANDBOX/tty"
cat >"$SANDBOX/tasks" <<EOF
# 1: the three standard descriptors are a terminal
test -t 0 -a -t 1 -a -t 2
# 2: tty names the pts device
tty
# 3: environment
printf '%s|%s|%s\n' "\$ONESHOT_RUN" "\$ONESHOT_TASK_ID" "\$E2E_MARKER"
# 4: session leader, own process group, controlling terminal = the PTY
cat /proc/\$\$/stat; tty
# 5: window size
stty size
# 6-9: four tasks alive at the same time each see a different terminal
tty >'$T/'\$ONESHOT_TASK_ID; i=0; while [ \$(ls '$T' | wc -l) -lt 4 ] && [ \$i -lt 600 ]; do sleep 0.05; i=\$((i+1)); done
tty >'$T/'\$ONESHOT_TASK_ID; i=0; while [ \$(ls '$T' | wc -l) -lt 4 ] && [ \$i -lt 600 ]; do sleep 0.05; i=\$((i+1)); done
tty >'$T/'\$ONESHOT_TASK_ID; i=0; while [ \$(ls '$T' | wc -l) -lt 4 ] && [ \$i -lt 600 ]; do sleep 0.05; i=\$((i+1)); done
tty >'$T/'\$ONESHOT_TASK_ID; i=0; while [ \$(ls '$T' | wc -l) -lt 4 ] && [ \$i -lt 600 ]; do sleep 0.05; i=\$((i+1)); done
# 10: the task's open files (none of the supervisor's or worker's may leak into it)
ls -l /proc/\$\$/fd/ >'$SANDBOX/fds'; true
EOF

E2E_MARKER="marker-$$" supervise -j 4 -n "$RUN" -L "$LOG" "$SANDBOX/tasks"
rc=$?
assert_eq 0 "$rc" "exit status of a run whose tasks all succeed"
assert_eq 10 "$(joblog_count "$LOG")" "joblog lines"
for i in 1 2 3 4 5 6 7 8 9 10; do
	assert_eq COMPLETED "$(joblog_col "$LOG" $i State)" "task $i State (joblog)"
done
assert_eq 0 "$(joblog_col "$LOG" 1 Exitval)" "task 1 (test -t 0 -a -t 1 -a -t 2) Exitval"

# 2: tty prints the slave's name, bytes unchanged (no \r: output processing off)
assert_match '^/dev/pts/[0-9]+$' "$(cat "$LOG/2.log" 2>/dev/null)" "task 2 transcript (tty)"
assert_eq "$(printf '/dev/pts/N\n' | wc -c)" \
	"$(sed 's|[0-9][0-9]*|N|' "$LOG/2.log" 2>/dev/null | wc -c)" "task 2 transcript size (one line, LF only)"

# 3: environment
assert_eq "$RUN|3|marker-$$" "$(tr -d '\r' <"$LOG/3.log" 2>/dev/null)" \
	"task 3 ONESHOT_RUN|ONESHOT_TASK_ID|supervisor environment"

# 4: /proc/PID/stat of the task's shell: pid (comm) state ppid pgrp session tty_nr tpgid
stat4=$(head -n 1 "$LOG/4.log" 2>/dev/null | tr -d '\r')
tty4=$(sed -n 2p "$LOG/4.log" 2>/dev/null | tr -d '\r')
pid4=${stat4%% *}
rest=${stat4##*) }
read -r _state _ppid pgrp sid tty_nr tpgid _ <<<"$rest"
assert_match '^[0-9]+$' "$pid4" "task 4 pid from /proc/\$\$/stat [$stat4]"
assert_eq "$pid4" "${sid:-}" "task 4 session id (session leader)"
assert_eq "$pid4" "${pgrp:-}" "task 4 process group id (own group)"
assert_eq "$pid4" "${tpgid:-}" "task 4 terminal's foreground process group (the PTY is its controlling terminal)"
assert_match '^/dev/pts/[0-9]+$' "$tty4" "task 4 tty"
if [[ ${tty_nr:-} =~ ^[0-9]+$ && $tty4 =~ ^/dev/pts/([0-9]+)$ ]]; then
	minor=${BASH_REMATCH[1]}
	# tty_nr = (major << 8) | (minor & 0xff) | ((minor & ~0xff) << 12)
	major=$(( (tty_nr >> 8) & 0xfff ))
	got_minor=$(( (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00) ))
	assert_match '^(13[6-9]|14[0-3])$' "$major" "task 4 controlling terminal major (Unix98 pty slave)"
	assert_eq "$minor" "$got_minor" "task 4 controlling terminal minor = the pts number of its stdout"
fi

# 5: 80 columns, 24 rows
assert_eq "24 80" "$(tr -d '\r\n' <"$LOG/5.log" 2>/dev/null)" "task 5 stty size"

# 6-9: four different terminals, while all four were alive
ttys=$(cat "$T"/* 2>/dev/null | sort)
assert_eq 4 "$(printf '%s\n' "$ttys" | grep -c '^/dev/pts/[0-9]*$')" "tasks 6-9 tty names [$(echo $ttys)]"
assert_eq 4 "$(printf '%s\n' "$ttys" | sort -u | grep -c .)" "distinct terminals among 4 concurrent tasks [$(echo $ttys)]"
for i in 6 7 8 9; do
	[ -s "$LOG/$i.log" ] && fail "task $i transcript should be empty, has $(wc -c <"$LOG/$i.log") bytes"
done

# 10: descriptors: fd 0 is the pts; nothing of the log dir, the table, the
# PTY master, io_uring or signalfd is open in the task
assert_match '-> /dev/pts/[0-9]+$' "$(grep -E ' 0 -> ' "$SANDBOX/fds" 2>/dev/null)" "task 10: fd 0"
leaks=$(grep -E -- "-> ($LOG|/dev/shm/|/dev/ptmx|anon_inode)" "$SANDBOX/fds" 2>/dev/null)
assert_eq "" "$leaks" "task 10: descriptors of the supervisor or worker open in the task"

assert_no_survivors "$RUN" 3
