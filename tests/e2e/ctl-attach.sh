#!/bin/bash
# ctl-attach.sh: oneshot-ctl attach in a real terminal (tmux, from Debian),
# driven with send-keys and read with capture-pane:
#  - an attached client sees the task's screen, answers its `read -p`
#    prompt and sees the reply; the task's terminal is the client's size
#    (tput cols says 100) while attached, and --pty-size again after;
#  - the detach key (C-\) returns to the shell and leaves the task running;
#  - a read-only client sees the output, and its keys reach nothing;
#  - two clients at once both see the task;
#  - a stopped client holds up nobody; a client killed with SIGKILL leaves
#    the task and its worker untouched;
#  - when the task ends, the client prints its end state and exits 0;
#  - SIGTERM to the client, and the death of the run's supervisor (SIGKILL),
#    end it with the terminal restored (canonical mode, normal screen).
# Skipped (77) without tmux.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/ps-lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/ctl-lib.sh"

command -v tmux >/dev/null || skip "needs tmux (Debian: tmux)"
SOCK="oneshot-e2e-$$"
tmx() { tmux -L "$SOCK" -f /dev/null "$@"; }
# At the end: the terminals go, and with them their clients; a client still
# there (seen once under ASan, spinning in LeakSanitizer's exit check after
# its terminal vanished) is killed, so that it cannot eat a CPU later tests
# need.
ctl_attach_cleanup() {
	local st=$? r
	tmx kill-server 2>/dev/null
	for r in "${E2E_RUNS[@]}"; do
		pkill -KILL -f "oneshot-ctl -n $r " 2>/dev/null
	done
	(exit "$st") # e2e_cleanup reads the test's own status from $?
	e2e_cleanup
}
trap ctl_attach_cleanup EXIT

# pane NAME: what tmux session NAME shows
pane() { tmx capture-pane -p -t "$1" 2>/dev/null; }

# wait_pane NAME REGEX SEC: until session NAME shows REGEX
wait_pane() {
	wait_for "pane $1 | grep -Eq -- '$2'" "$3" ||
		fail "tmux $1 never showed /$2/; it shows: [$(pane "$1" | grep -v '^$' | tail -5)]"
}

# attach_in NAME ARGS...: start oneshot-ctl ARGS in a new 100x30 tmux session
attach_in() {
	local name=$1
	shift
	tmx new-session -d -s "$name" -x 100 -y 30 \
		"TERM=xterm-256color '$CTL' $*; echo attach-exit=\$?; stty -a | tr ' ;' '\\n\\n' | grep -x -- '-\\?icanon' | sed 's/^/mode=/'; sleep 600"
}

new_run att
cat >"$SANDBOX/att.tasks" <<'TASKS'
bash -c 'echo started; read -p "name? " n; echo "hello $n"; tput cols; read -p "again? " m; echo "bye $m"; tput cols; read -p "last? " l; echo "end $l"'
TASKS
detach --pty-size 80x24 -n "$RUN" -L "$LOG" "$SANDBOX/att.tasks"
wait_for "grep -q 'name? ' '$LOG/1.log' 2>/dev/null" 10 || fail "the task never asked"
worker=$(task_field "$RUN" 1 worker_pid)

# --- an attached client answers the prompt ---------------------------------
attach_in rw -n "$RUN" attach 1
wait_pane rw 'name\?' 10
assert_match "started" "$(pane rw)" "the client drew the task's screen so far"
tmx send-keys -t rw world Enter
wait_pane rw 'hello world' 10
wait_pane rw '^100$' 10
assert_match "again\\?" "$(pane rw)" "the next prompt shows"

# --- a read-only client and a second writer ------------------------------------
attach_in ro -n "$RUN" attach --read-only 1
wait_pane ro 'again\?' 10
before=$(wc -c <"$LOG/1.log")
tmx send-keys -t ro readonly-keys Enter
# the client reads its keys in order: once it has seen the detach key, it
# has dealt with the ones before it
tmx send-keys -t ro 'C-\'
wait_pane ro 'detached from task 1' 10
ctl -n "$RUN" screen 1
assert_match "again\\?" "$CTL_OUT" "screen shows the prompt"
assert_eq "" "$(printf '%s\n' "$CTL_OUT" | grep readonly-keys)" \
	"the read-only client's keys reached nothing (screen)"
assert_eq "$before" "$(wc -c <"$LOG/1.log")" "nor the transcript"
tmx kill-session -t ro
attach_in ro -n "$RUN" attach --read-only 1
wait_pane ro 'again\?' 10

# --- detach leaves the task running, and its size goes back ---------------------
tmx send-keys -t rw 'C-\'
wait_pane rw 'detached from task 1' 10
wait_pane rw 'attach-exit=0' 10
assert_match "^(RUNNING|IDLE)$" "$(task_field "$RUN" 1 state)" "the task runs on after detach"
wait_for "[ \"\$(ctl -n '$RUN' screen --json 1; printf %s \"\$CTL_OUT\" | \"\$PYTHON\" -c 'import json,sys; print(json.load(sys.stdin)[\"cols\"])')\" = 80 ]" 10 ||
	fail "the window did not go back to 80 columns after the last writer left"
ctl -n "$RUN" send 1 again
wait_pane ro 'bye again' 10
assert_match "^80$" "$(grep -a '^80' "$LOG/1.log" | tr -d '\r' | tail -1)" \
	"the task's tput cols says 80 once nobody sizes it"

# --- a client killed with SIGKILL ------------------------------------------------
attach_in victim -n "$RUN" attach 1
wait_pane victim 'last\?' 10
victim=$(pgrep -f "oneshot-ctl -n $RUN attach 1" | head -1)
[ -n "$victim" ] || fail "no attached client to kill"
# a client that stops reading (as ^S or a stalled ssh would) holds up
# nobody: the task answers and the read-only client shows it
kill -STOP "$victim"
ctl -n "$RUN" send 1 --no-enter stalled
assert_eq 0 "$CTL_RC" "send while a client is stopped ($CTL_ERR)"
wait_pane ro 'last\? stalled' 10
kill -KILL "$victim"
wait_for "! proc_alive $victim" 5 || fail "the client did not die"
assert_match "^(RUNNING|IDLE)$" "$(task_field "$RUN" 1 state)" "the task is untouched by its client's death"
proc_alive "$worker" || fail "the worker died with its client"

# --- the task ends while attached ------------------------------------------------
attach_in end -n "$RUN" attach 1
wait_pane end 'last\?' 10
tmx send-keys -t end done Enter
# the client leaves its alternate screen at the end: the line is then gone
# from the pane, and the transcript is where it is
wait_pane end 'task 1 of run .* COMPLETED' 10
wait_pane end 'attach-exit=0' 10
wait_pane ro 'task 1 of run .* COMPLETED' 10
assert_match "end stalleddone" "$(cat "$LOG/1.log")" "the answer typed in the client reached the task"
wait_pane end 'mode=icanon' 10
assert_eq 0 "$(tmx display -p -t end '#{alternate_on}')" "and on its normal screen"

# --- SIGTERM to the client ------------------------------------------------------
new_run term
printf '%s\n' 'read -p "wait? " x' 'read -p "wait? " x' >"$SANDBOX/term.tasks"
detach -j 2 -n "$RUN" -L "$LOG" "$SANDBOX/term.tasks"
wait_for "grep -q 'wait?' '$LOG/1.log' 2>/dev/null" 10 || fail "task 1 never asked"
attach_in sigterm -n "$RUN" attach 1
wait_pane sigterm 'wait\?' 10
client=$(pgrep -f "oneshot-ctl -n $RUN attach 1" | head -1)
kill -TERM "$client"
wait_pane sigterm 'attach-exit=1' 10
wait_pane sigterm 'mode=icanon' 10
assert_eq 0 "$(tmx display -p -t sigterm '#{alternate_on}')" "SIGTERM: and on its normal screen"
assert_match "^(RUNNING|IDLE)$" "$(task_field "$RUN" 1 state)" "SIGTERM to the client leaves the task alone"

# --- the supervisor dies while attached ---------------------------------------
wait_for "grep -q 'wait?' '$LOG/2.log' 2>/dev/null" 10 || fail "task 2 never asked"
attach_in lost -n "$RUN" attach 2
wait_pane lost 'wait\?' 10
kill -KILL "$SUP_PID"
wait_pane lost 'task 2 of run .* INTERRUPTED \(supervisor-lost\)' 15
wait_pane lost 'attach-exit=0' 10
wait_pane lost 'mode=icanon' 10
