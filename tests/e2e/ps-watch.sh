#!/bin/bash
# ps-watch.sh: oneshot-ps --watch and terminal output.
# - without a terminal: one snapshot per interval, ending by itself with the
#   run (the last one says "done"); with --json each snapshot is a document;
# - on a terminal (a pseudo-terminal driven from Python): drawn on the
#   alternate screen, q and Ctrl-C quit with exit 0 and the terminal restored
#   (canonical mode and echo back on), the end of the run leaves the final
#   table on the normal screen; colour only without NO_COLOR; the command
#   column cut to the terminal's width.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/ps-lib.sh"

ENV=$(command -v env)

# watching PID WHAT: the oneshot-ps --watch on a terminal run by PID (in_pty)
# has drawn its first frame: it sleeps in its poll for keys and the next
# refresh (at most 20 s)
watching() {
	wait_for "proc_find_exe $1 '$PS' && proc_sleeps_in \$FOUND_PID '*poll*'" 20 ||
		fail "$2: oneshot-ps --watch did not draw within 20 s"
}

new_run watch
GO="$SANDBOX/go"
{
	echo "i=0; while [ ! -e '$GO' ] && [ \$i -lt 600 ]; do sleep 0.05; i=\$((i+1)); done"
	echo "true $(printf 'y%.0s' $(seq 1 200))"
} >"$SANDBOX/tasks"
detach -j 2 -n "$RUN" -L "$LOG" "$SANDBOX/tasks"
WATCH_SUP=$SUP_PID
WATCH_RUN=$RUN
wait_for '[ "$(ps_counts "$RUN" | cut -d" " -f5)" = 1 ]' 20 || fail "task 2 did not complete"

# --- no terminal ------------------------------------------------------------
timeout 60 "$PS" -n "$RUN" -w 0.2 >"$SANDBOX/plain.out" 2>&1 &
wp=$!
timeout 60 "$PS" -n "$RUN" --json --watch=0.2 >"$SANDBOX/json.out" 2>&1 &
wj=$!
wait_for '[ "$(grep -c "^run $RUN " "$SANDBOX/plain.out")" -ge 2 ]' 10 ||
	fail "--watch 0.2 printed fewer than 2 snapshots in 10 s"
wait_for '[ "$(grep -c "^{\"run\":" "$SANDBOX/json.out")" -ge 2 ]' 10 ||
	fail "--json --watch=0.2 printed fewer than 2 documents in 10 s"

# --- terminal: q, Ctrl-C -------------------------------------------------------
in_pty 100 30 "wait:run $RUN|sleep:0.5|send:q" -- "$ENV" -u NO_COLOR "$PS" -n "$RUN" -w 0.2
assert_eq 0 "$?" "tty --watch, q: exit status"
assert_eq "1 1" "$(cat "$SANDBOX/pty.lflag")" "tty --watch, q: canonical mode and echo restored"
out=$(cat -v "$SANDBOX/pty.out")
assert_match '\^\[\[\?1049h' "$out" "tty --watch: alternate screen entered"
assert_match '\^\[\[\?1049l\^\[\[\?25h|\^\[\[\?25h\^\[\[\?1049l' "$out" "tty --watch: alternate screen left, cursor shown"
assert_match '\^\[\[3[23]mRUNNING|\^\[\[3[23]mIDLE' "$out" "tty --watch: coloured state"

in_pty 100 30 "wait:run $RUN|sleep:0.3|send:\\x03" -- "$ENV" -u NO_COLOR "$PS" -n "$RUN" -w 0.2
assert_eq 0 "$?" "tty --watch, Ctrl-C: exit status"
assert_eq "1 1" "$(cat "$SANDBOX/pty.lflag")" "tty --watch, Ctrl-C: terminal restored"

# --- terminal: colour and width ------------------------------------------------
in_pty 60 30 "" -- "$ENV" -u NO_COLOR "$PS" -n "$RUN"
assert_eq 0 "$?" "tty -n: exit status"
assert_match $'\033\\[' "$(cat "$SANDBOX/pty.out")" "tty -n without NO_COLOR: colour"
widest=$(sed 's/\x1b\[[0-9;]*m//g; s/\r$//' "$SANDBOX/pty.out" | awk '{ if (length($0) > w) w = length($0) } END { print w + 0 }')
assert_le "$widest" 60 "tty -n: widest line in a 60-column terminal"
grep -q "true yyyy" "$SANDBOX/pty.out" || fail "tty -n: the long command is not shown at all"
in_pty 60 30 "" -- "$ENV" NO_COLOR=1 "$PS" -n "$RUN"
assert_eq 0 "$(grep -c $'\033' "$SANDBOX/pty.out")" "tty -n with NO_COLOR: escape sequences"

# --- terminal: errors are shown after the terminal is restored ---------------
in_pty 100 30 "" -- "$PS" -n "nosuch-$RUN" -w 0.2
assert_eq 1 "$?" "tty --watch of no such run: exit status"
after=$(python3 -c '
import sys
out = open(sys.argv[1], "rb").read()
print(out.rsplit(b"\x1b[?1049l", 1)[-1].decode("utf-8", "replace"))' "$SANDBOX/pty.out")
assert_match "no run named nosuch-$RUN" "$after" "tty --watch of no such run: message on the normal screen"
new_run gone
printf 'sleep 30\n' >"$SANDBOX/gone"
detach -j 1 -n "$RUN" -L "$LOG" "$SANDBOX/gone"
in_pty 100 30 "wait:run $RUN|sleep:0.3|send:" -- "$PS" -n "$RUN" -w 0.2 &
gone_pty=$!
watching "$gone_pty" "tty --watch of a table removed meanwhile"
rm -f "$SHM"
wait "$gone_pty"
assert_eq 1 "$?" "tty --watch of a table removed meanwhile: exit status"
assert_eq "1 1" "$(cat "$SANDBOX/pty.lflag")" "tty --watch of a removed table: terminal restored"
after=$(python3 -c '
import sys
out = open(sys.argv[1], "rb").read()
print(out.rsplit(b"\x1b[?1049l", 1)[-1].decode("utf-8", "replace"))' "$SANDBOX/pty.out")
assert_match "no run named $RUN" "$after" "tty --watch of a removed table: message on the normal screen"
kill -TERM "$SUP_PID"
wait_gone "$SUP_PID" 15

# --- the run ends: watchers end by themselves --------------------------------
RUN=$WATCH_RUN
SUP_PID=$WATCH_SUP
in_pty 100 30 "wait:run $RUN|send:x|sleep:0.3" -- "$ENV" -u NO_COLOR "$PS" -n "$RUN" -w 0.2 &
tty_watch=$!
watching "$tty_watch" "tty --watch at the end of the run"
touch "$GO"
wait "$tty_watch"
assert_eq 0 "$?" "tty --watch at the end of the run: exit status"
final=$(python3 -c '
import sys
out = open(sys.argv[1], "rb").read()
print(out.rsplit(b"\x1b[?1049l", 1)[-1].decode("utf-8", "replace"))' "$SANDBOX/pty.out")
assert_match "run $RUN  supervisor $SUP_PID  done, exit 0" "$final" "tty --watch: final table on the normal screen"

wait "$wp"
assert_eq 0 "$?" "--watch without a terminal ends with the run"
assert_match "done, exit 0" "$(grep "^run $RUN " "$SANDBOX/plain.out" | tail -1)" "last plain snapshot"
wait "$wj"
assert_eq 0 "$?" "--json --watch ends with the run"
docs=$(python3 - "$SANDBOX/json.out" <<'PY'
import json, sys
text = open(sys.argv[1], encoding="utf-8").read()
dec, i, docs = json.JSONDecoder(), 0, []
while i < len(text):
    while i < len(text) and text[i].isspace():
        i += 1
    if i == len(text):
        break
    d, i = dec.raw_decode(text, i)
    docs.append(d)
print(len(docs) >= 2, docs[-1]["run"]["state"])
PY
)
assert_eq "True done" "$docs" "--json --watch documents"

# --- the list, watched without a terminal: a snapshot per interval -----------
# (stopped by timeout(1) once it has drawn twice: SIGALRM is its timer's
# expiry, so the status says whether it was still running)
timeout 30 "$PS" -w 0.3 >"$SANDBOX/list.out" 2>&1 &
lw=$!
wait_for "[ \"\$(grep -c '^NAME ' '$SANDBOX/list.out')\" -ge 2 ]" 20
kill -ALRM "$lw"
wait "$lw"
assert_eq 124 "$?" "list --watch runs until stopped"
assert_le 2 "$(grep -c '^NAME ' "$SANDBOX/list.out")" "list --watch snapshots"
