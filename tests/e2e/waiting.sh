#!/bin/bash
# waiting.sh: a silent task found waiting for input, from the strongest
# evidence first, with real programs:
#  - read: `read -p`, python's input(), getpass, and a prompt printed
#    without a newline, detected within --idle-after + 1 s, with the prompt
#    (the last line on the screen) in a `waiting` event of events.jsonl;
#  - bell: a program that rings the bell, then sleeps;
#  - pattern: --prompt REGEX on the last line of a silent task;
#  - not waiting: a program that only sleeps, one that computes silently,
#    `sleep | less` (less reads its pipe, not the terminal);
#  - output after the wait clears it (the slot's waiting fields);
#  - --tail says so in a "[ID]? waiting for input" line;
#  - --waiting-timeout 1 --idle-timeout 60: the prompt task is INTERRUPTED
#    with reason waiting-timeout after about 1 s, while a silent task runs on;
#  - --answer 'y/N]$=y' answers the fake agent's question and it COMPLETES,
#    each answer in events.jsonl with its prompt; a question that repeats
#    forever is answered --answer-limit times, then left waiting;
#  - a bad --prompt, --answer or --waiting-timeout: exit 2, one line naming it.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/ps-lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/ctl-lib.sh"

GO="$SANDBOX/go"

# waiting LOGDIR TASK: "REASON PROMPT" of TASK's last waiting event, or "".
waiting() {
	"$PYTHON" - "$1/events.jsonl" "$2" <<'PY'
import json, sys
last = ""
try:
    for line in open(sys.argv[1]):
        e = json.loads(line)
        if str(e["task"]) == sys.argv[2] and e["event"] == "waiting":
            last = "%s %s" % (e["reason"], e.get("prompt", ""))
except OSError:
    pass
print(last)
PY
}

new_run detect
cat >"$SANDBOX/detect.tasks" <<TASKS
bash -c 'read -p "name? " n; echo "hello \$n"; i=0; while [ ! -e "$GO" ] && [ \$i -lt 1200 ]; do sleep 0.05; i=\$((i+1)); done'
python3 -c "input('ok? ')"
python3 -c "import getpass; getpass.getpass('pw: ')"
printf 'Overwrite? [y/N] '; read -r x
printf 'ring\a'; sleep 60
printf 'Proceed (yes/no)'; sleep 60
sleep 60
python3 -c "while True: pass"
sleep 60 | less
TASKS
detach -j 9 --idle-after 0.5 --prompt 'yes/no\)$' -n "$RUN" -L "$LOG" "$SANDBOX/detect.tasks"
for t in 1 2 3 4 5 6; do
	wait_for "[ -n \"\$(waiting '$LOG' $t)\" ]" 10 || fail "task $t was never found waiting"
done
# from each task's start (its prompt comes right after, python's start-up
# aside) to its waiting line: --idle-after + the 1 s between two looks, and
# 3 s of slack for a busy machine
assert_eq "" "$("$PYTHON" - "$LOG/events.jsonl" <<'PY'
import datetime, json, sys
start, wait = {}, {}
for line in open(sys.argv[1]):
    e = json.loads(line)
    t = datetime.datetime.fromisoformat(e["time"].replace("Z", "+00:00")).timestamp()
    if e["event"] == "start":
        start[e["task"]] = t
    elif e["event"] == "waiting":
        wait.setdefault(e["task"], t)
for task in sorted(wait):
    if wait[task] - start[task] > 0.5 + 1 + 3:
        print("task %d: %.1f s" % (task, wait[task] - start[task]))
PY
)" "each found waiting within --idle-after + 1 s (+ slack) of its start"
assert_eq "read name?" "$(waiting "$LOG" 1)" "read -p: the kernel's evidence, and the prompt"
assert_eq "read ok?" "$(waiting "$LOG" 2)" "input()"
assert_eq "read pw:" "$(waiting "$LOG" 3)" "getpass (reads /dev/tty)"
assert_eq "read Overwrite? [y/N]" "$(waiting "$LOG" 4)" "a prompt without a newline"
assert_eq "bell ring" "$(waiting "$LOG" 5)" "a bell, then silence"
assert_eq "pattern Proceed (yes/no)" "$(waiting "$LOG" 6)" "--prompt on the last line"
# the others have been silent as long: one more probe round, then none
wait_for "[ \"\$(task_field '$RUN' 9 silent_for)\" \\> 2 ]" 10
for t in 7 8 9; do
	assert_eq "" "$(waiting "$LOG" "$t")" "task $t ($(sed -n "${t}p" "$SANDBOX/detect.tasks")) is not waiting"
done
# output after the wait clears it
ctl -n "$RUN" send 1 world
wait_for "grep -q 'hello world' '$LOG/1.log'" 10 || fail "task 1 never got its answer"
wait_for "case \"\$(task_field '$RUN' 1 message)\" in ''|None) true ;; *) false ;; esac" 10 ||
	fail "the prompt stayed in the slot after the task wrote again"
touch "$GO"
ctl -n "$RUN" interrupt 2 3 4 5 6 7 8 9
assert_eq 0 "$CTL_RC" "the rest interrupted ($CTL_ERR)"
rm -f "$GO"

# --- --waiting-timeout -------------------------------------------------------
new_run policy
printf '%s\n' "bash -c 'read -p \"name? \" n'" "sleep 60" >"$SANDBOX/policy.tasks"
start_bg -j 2 --idle-after 0.5 --waiting-timeout 1 --idle-timeout 60 -n "$RUN" -L "$LOG" \
	"$SANDBOX/policy.tasks" >/dev/null 2>&1
wait_table "$RUN" "$SUP_PID" 10
wait_state "$RUN" 1 INTERRUPTED 10
assert_eq waiting-timeout "$(task_field "$RUN" 1 interrupt_reason)" "interrupted for waiting-timeout"
assert_match "^(RUNNING|IDLE)$" "$(task_field "$RUN" 2 state)" "the silent sleep runs on"
assert_eq waiting-timeout "$(joblog_col "$LOG" 1 Reason)" "the job log's Reason"
started=$(events "$LOG" 1 | awk '$1 == "start" { print $5 }')
ended=$(events "$LOG" 1 | awk '$1 == "interrupt" { print $5 }')
assert_le "$(awk -v a="$started" -v b="$ended" 'BEGIN { printf "%d", (b - a) * 1000 }')" 4000 \
	"interrupted about 1 s after its prompt (ms from start)"
kill -TERM "$SUP_PID"
wait_exit "$SUP_PID" 30

# --- --tail says so ------------------------------------------------------------
new_run tail
printf '%s\n' "bash -c 'read -p \"tail? \" v'" >"$SANDBOX/tail.tasks"
start_bg --tail --idle-after 0.5 --waiting-timeout 1 -n "$RUN" -L "$LOG" "$SANDBOX/tail.tasks" \
	>"$SANDBOX/tail.out" 2>/dev/null
wait_exit "$SUP_PID" 30
assert_match "^\[1\]\? waiting for input \(read\): tail\?$" "$(grep '^\[1\]?' "$SANDBOX/tail.out")" \
	"--tail: a tagged line says the task waits, with its prompt"

# --- --answer ------------------------------------------------------------------
new_run answer
printf '%s\n' "$ONESHOT_SRCDIR/examples/fake-agent -q migrate 0 1" \
	'while :; do read -p "again? [y/N] " x; echo "got $x"; done' >"$SANDBOX/answer.tasks"
start_bg -j 2 --idle-after 0.5 --answer 'y/N\]$=y' --answer-limit 2 -n "$RUN" -L "$LOG" \
	"$SANDBOX/answer.tasks" >/dev/null 2>&1
wait_table "$RUN" "$SUP_PID" 10
wait_state "$RUN" 1 COMPLETED 20
assert_eq 0 "$(joblog_col "$LOG" 1 Exitval)" "the fake agent's question answered y: exit 0"
answers() { grep -c "\"task\":$1,\"event\":\"answer\"" "$LOG/events.jsonl"; }
assert_eq 1 "$(answers 1)" "one answer, recorded"
assert_match '"prompt":"migrate: Apply the changes\? \[y/N\]","text":"y"' \
	"$(grep '"task":1,"event":"answer"' "$LOG/events.jsonl")" "with the prompt it answered"
# a question that comes back forever: answered twice, then left waiting
wait_for "[ \$(grep -c '\"task\":2,\"event\":\"waiting\"' '$LOG/events.jsonl') -ge 3 ]" 20 ||
	fail "task 2 was not found waiting a third time"
assert_eq 2 "$(answers 2)" "--answer-limit 2: two answers"
assert_eq 2 "$(grep -c 'got y' "$LOG/2.log")" "both reached the task"
assert_eq "read again? [y/N]" "$(waiting "$LOG" 2)" "then it is left waiting"
kill -TERM "$SUP_PID"
wait_exit "$SUP_PID" 30

# --- bad values ----------------------------------------------------------------
new_run bad
supervise --prompt '(' -n "$RUN" -L "$LOG" "$SANDBOX/policy.tasks" >/dev/null 2>"$SANDBOX/bad.err"
assert_eq 2 "$?" "a bad --prompt: exit 2"
assert_match "^oneshotd-supervise: .*--prompt: '\\(' is not a regular expression" \
	"$(cat "$SANDBOX/bad.err")" "and says which"
supervise --waiting-timeout x -n "$RUN" -L "$LOG" "$SANDBOX/policy.tasks" >/dev/null 2>"$SANDBOX/bad.err"
assert_eq 2 "$?" "a bad --waiting-timeout: exit 2"
assert_match "waiting-timeout" "$(cat "$SANDBOX/bad.err")" "and says which"
supervise --answer 'no-equals-sign' -n "$RUN" -L "$LOG" "$SANDBOX/policy.tasks" >/dev/null 2>"$SANDBOX/bad.err"
assert_eq 2 "$?" "a bad --answer: exit 2"
assert_match "--answer: 'no-equals-sign' is not REGEX=TEXT" "$(cat "$SANDBOX/bad.err")" "and says which"
