#!/bin/bash
# tail.sh: --tail, the tasks' output mirrored to the supervisor's stdout.
#  - Every line of every task appears as "[ID] TEXT", in the task's order,
#    whole: several tasks writing many lines at once (in big bursts that the
#    terminal hands over cut mid-line, and line by line in two writes each)
#    never give a line mixed from two tasks; into a file nothing is lost.
#  - Into a pipe that keeps up: the same, whatever was not dropped, and a
#    drop is reported.
#  - Transcripts stay byte-exact with --tail, and equal to the ones without.
#  - No output at all without --tail.
#  - A last line without a newline is written at the end, with one; a line
#    longer than 4000 bytes is cut into "[ID]+ " pieces; "\r\n" (--crlf)
#    ends a line without a "\r"; a lone "\r" and control sequences pass.
#  - A stalled reader (a FIFO nobody reads, a terminal nobody reads as after
#    ^S) does not hold the run back: it ends in about the time a run without
#    --tail takes, every task COMPLETED, the drops noted once per task on
#    stderr, and what did get through is whole lines (on the terminal, but
#    for a last one cut short).  A reader that goes away (| head) stops the
#    mirroring quietly.
#  - --tail with --detach, or with stdout closed, is refused.
#  - On a terminal with the status line: each mirrored line erases the
#    status line first, so the screen holds the tagged lines and the summary.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"

PROG=oneshotd-supervise

# gen.py T N MODE: N numbered lines of task T, in one burst of writes or
# each line in two writes ("split")
GEN="$SANDBOX/gen.py"
cat >"$GEN" <<'EOF'
import os, sys
t, n, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
lines = [("t%d line %d %s\n" % (t, k, "abcdefghij"[k % 10] * (k % 97))).encode() for k in range(n)]
def put(b):
    while b:
        b = b[os.write(1, b):]
if mode == "burst":
    put(b"".join(lines))
else:
    for l in lines:
        put(l[:len(l) // 2])
        put(l[len(l) // 2:])
EOF

# check.py OUT MODE ID:N...: every line of OUT is "[ID] TEXT" with TEXT the
# next line (MODE exact) or a later line (MODE subseq) of task ID as gen.py
# writes it; exact also wants every line of every task.  Prints problems.
CHECK="$SANDBOX/check.py"
cat >"$CHECK" <<'EOF'
import re, sys
out, mode, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
want, pos = {}, {}
for s in specs:
    t, n = map(int, s.split(":"))
    want[t] = ["t%d line %d %s" % (t, k, "abcdefghij"[k % 10] * (k % 97)) for k in range(n)]
    pos[t] = 0
data = open(out, "rb").read().decode("ascii", "replace")
if data and not data.endswith("\n"):
    print("output does not end with a newline: %r" % data[-40:])
bad = 0
for i, line in enumerate(data.splitlines()):
    m = re.fullmatch(r"\[(\d+)\] (.*)", line)
    t = int(m.group(1)) if m else None
    if t not in want:
        print("line %d: not a tagged line of a task: %r" % (i + 1, line[:120]))
        bad += 1
    else:
        w, p = want[t], pos[t]
        if mode == "exact":
            ok = p < len(w) and w[p] == m.group(2)
            p += 1
        else:
            while p < len(w) and w[p] != m.group(2):
                p += 1
            ok = p < len(w)
            p += 1
        if not ok:
            print("line %d: not the next line of task %d: %r" % (i + 1, t, line[:120]))
            bad += 1
        pos[t] = p
    if bad >= 5:
        break
if mode == "exact" and not bad:
    for t in want:
        if pos[t] != len(want[t]):
            print("task %d: %d of %d lines" % (t, pos[t], len(want[t])))
EOF

# expect_transcripts LOG ID:N:MODE...: LOG/ID.log is exactly gen.py's output
expect_transcripts() {
	local log=$1 what=$2 s id n mode
	shift 2
	for s in "$@"; do
		IFS=: read -r id n mode <<<"$s"
		"$PYTHON" "$GEN" "$id" "$n" "$mode" >"$SANDBOX/expect.$id"
		cmp -s "$SANDBOX/expect.$id" "$log/$id.log" ||
			fail "$what: transcript $id.log is not byte-exact ($(wc -c <"$log/$id.log" 2>/dev/null) bytes, want $(wc -c <"$SANDBOX/expect.$id"))"
	done
}

# all_completed LOG N WHAT: tasks 1..N COMPLETED in the job log
all_completed() {
	local i
	for i in $(seq 1 "$2"); do
		assert_eq COMPLETED "$(joblog_col "$1" "$i" State)" "$3: task $i state"
	done
}

# ------------------------------------------- many tasks, many lines, at once
SPECS=(1:900:burst 2:900:split 3:700:burst 4:700:split 5:1200:burst 6:500:split 7:1500:burst 8:800:split)
: >"$SANDBOX/tasks.many"
CHECKARGS=()
for s in "${SPECS[@]}"; do
	IFS=: read -r id n mode <<<"$s"
	echo "$PYTHON $GEN $id $n $mode" >>"$SANDBOX/tasks.many"
	CHECKARGS+=("$id:$n")
done

new_run file
supervise --tail -j 8 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.many" </dev/null >"$SANDBOX/file.out" 2>"$SANDBOX/file.err"
assert_eq 0 "$?" "into a file: exit status"
assert_eq "" "$(cat "$SANDBOX/file.err")" "into a file: stderr"
assert_eq "" "$("$PYTHON" "$CHECK" "$SANDBOX/file.out" exact "${CHECKARGS[@]}")" "into a file: the mirrored lines"
all_completed "$LOG" 8 "into a file"
expect_transcripts "$LOG" "into a file" "${SPECS[@]}"
LOG_FILE=$LOG

new_run pipe
supervise --tail -j 8 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.many" </dev/null 2>"$SANDBOX/pipe.err" | cat >"$SANDBOX/pipe.out"
assert_eq 0 "${PIPESTATUS[0]}" "into a pipe: exit status"
if [ -s "$SANDBOX/pipe.err" ]; then
	# the reader fell behind: lines may be missing, never torn
	note "into a pipe: $(head -n 1 "$SANDBOX/pipe.err")"
	assert_eq "" "$(grep -v -E "^$PROG: warning: task [0-9]+: --tail: [0-9]+ line\\(s\\) not mirrored: standard output would block\$" "$SANDBOX/pipe.err")" \
		"into a pipe: stderr"
	assert_eq "" "$("$PYTHON" "$CHECK" "$SANDBOX/pipe.out" subseq "${CHECKARGS[@]}")" "into a pipe: the mirrored lines"
else
	assert_eq "" "$("$PYTHON" "$CHECK" "$SANDBOX/pipe.out" exact "${CHECKARGS[@]}")" "into a pipe: the mirrored lines"
fi
all_completed "$LOG" 8 "into a pipe"
expect_transcripts "$LOG" "into a pipe" "${SPECS[@]}"

# ------------------------------------------------------- without --tail
new_run off
supervise -j 8 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.many" </dev/null >"$SANDBOX/off.out" 2>"$SANDBOX/off.err"
assert_eq 0 "$?" "without --tail: exit status"
assert_eq 0 "$(wc -c <"$SANDBOX/off.out" | tr -d ' ')" "without --tail: bytes on stdout"
assert_eq "" "$(cat "$SANDBOX/off.err")" "without --tail: stderr"
for s in "${SPECS[@]}"; do
	id=${s%%:*}
	cmp -s "$LOG/$id.log" "$LOG_FILE/$id.log" || fail "transcript $id.log differs with and without --tail"
done

# ------------------------------------------------------------ line edges
new_run edge
{
	echo "printf 'first\\nno newline at end'"
	echo "$PYTHON -c 'import sys; sys.stdout.write(\"y\" * 10000 + \"\\n\")'"
	echo "printf 'a\\rb\\033[1mbold\\033[0m\\n'"
	echo "true"
	echo "printf 'crlf\\r\\n\\r\\n'"
} >"$SANDBOX/tasks.edge"
supervise --tail -j 5 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.edge" </dev/null >"$SANDBOX/edge.out" 2>"$SANDBOX/edge.err"
assert_eq 0 "$?" "edges: exit status"
assert_eq "" "$(cat "$SANDBOX/edge.err")" "edges: stderr"
assert_eq "[1] first
[1] no newline at end" "$(grep -a -F '[1]' "$SANDBOX/edge.out")" "edges: a last line without a newline"
Y=$(printf 'y%.0s' $(seq 1 4000))
assert_eq "[2]+ $Y
[2]+ $Y
[2] ${Y:0:2000}" "$(grep -a -F '[2]' "$SANDBOX/edge.out")" "edges: a line of 10000 bytes"
assert_eq "$(printf '[3] a\rb\033[1mbold\033[0m')" "$(grep -a -F '[3]' "$SANDBOX/edge.out")" "edges: a lone CR and control sequences"
assert_eq "" "$(grep -a -F '[4]' "$SANDBOX/edge.out")" "edges: a task without output"
assert_eq "[5] crlf
[5] " "$(grep -a -F '[5]' "$SANDBOX/edge.out")" "edges: lines ending CR LF"
assert_eq 8 "$(wc -l <"$SANDBOX/edge.out" | tr -d ' ')" "edges: lines in all"
cmp -s <(printf 'first\nno newline at end') "$LOG/1.log" || fail "edges: transcript 1 not byte-exact"
cmp -s <(printf 'a\rb\033[1mbold\033[0m\n') "$LOG/3.log" || fail "edges: transcript 3 not byte-exact"

# --crlf: the terminal makes "\n" "\r\n"; the transcript keeps it, the
# mirrored line does not
new_run crlf
printf '%s\n' "printf 'one\\ntwo\\n'" >"$SANDBOX/tasks.crlf"
supervise --tail --crlf -n "$RUN" -L "$LOG" "$SANDBOX/tasks.crlf" </dev/null >"$SANDBOX/crlf.out" 2>&1
assert_eq 0 "$?" "--crlf: exit status"
cmp -s <(printf '[1] one\n[1] two\n') "$SANDBOX/crlf.out" ||
	fail "--crlf: mirrored [$(show "$(cat "$SANDBOX/crlf.out")")], want [1] one, [1] two without CR"
cmp -s <(printf 'one\r\ntwo\r\n') "$LOG/1.log" || fail "--crlf: transcript not byte-exact"

# ------------------------------------------------ a reader that never reads
STALL=(1:12000:burst 2:12000:burst 3:8000:split)
: >"$SANDBOX/tasks.stall"
CHECKARGS=()
for s in "${STALL[@]}"; do
	IFS=: read -r id n mode <<<"$s"
	echo "$PYTHON $GEN $id $n $mode" >>"$SANDBOX/tasks.stall"
	CHECKARGS+=("$id:$n")
done
new_run base
t0=$(now_us)
supervise -j 3 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.stall" </dev/null >/dev/null 2>&1
base_ms=$(ms_since "$t0")
new_run stall
FIFO="$SANDBOX/fifo"
mkfifo "$FIFO"
exec 7<>"$FIFO" # a reader (us) that does not read
t0=$(now_us)
supervise --tail -j 3 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.stall" </dev/null >"$FIFO" 2>"$SANDBOX/stall.err"
rc=$?
took=$(ms_since "$t0")
note "stalled reader: $took ms (without --tail: $base_ms ms)"
assert_eq 0 "$rc" "stalled reader: exit status ($(head -c 300 "$SANDBOX/stall.err"))"
assert_le "$took" $((base_ms * 3 + 5000)) "stalled reader: run time in ms (without --tail: $base_ms)"
all_completed "$LOG" 3 "stalled reader"
expect_transcripts "$LOG" "stalled reader" "${STALL[@]}"
assert_match "^$PROG: warning: task [0-9]+: --tail: [0-9]+ line\\(s\\) not mirrored: standard output would block\$" \
	"$(head -n 1 "$SANDBOX/stall.err")" "stalled reader: the drops noted"
for id in 1 2 3; do
	n=$(grep -c "task $id: --tail" "$SANDBOX/stall.err")
	assert_le "$n" 1 "stalled reader: notes for task $id"
done
# what did get into the FIFO is whole lines
timeout 2 cat <&7 >"$SANDBOX/stall.out"
exec 7<&-
note "stalled reader: $(wc -c <"$SANDBOX/stall.out") bytes reached the FIFO"
assert_le 1 "$(wc -l <"$SANDBOX/stall.out")" "stalled reader: lines that reached the FIFO"
assert_eq "" "$("$PYTHON" "$CHECK" "$SANDBOX/stall.out" subseq "${CHECKARGS[@]}")" "stalled reader: the mirrored lines"

# a terminal nobody reads (as after ^S): the same, and whole lines, but
# for at most one last line cut short
new_run ptystall
PTYDRV="$SANDBOX/ptydrv.py"
cat >"$PTYDRV" <<'EOF'
import os, pty, subprocess, sys, tty
m, s = pty.openpty()
tty.setraw(s)
with open(sys.argv[1], "w") as err:
    rc = subprocess.call(sys.argv[3:], stdin=subprocess.DEVNULL, stdout=s, stderr=err)
os.close(s)
os.set_blocking(m, False)
out = b""
while True:
    try:
        d = os.read(m, 65536)
    except (BlockingIOError, OSError):
        break
    if not d:
        break
    out += d
open(sys.argv[2], "wb").write(out)
sys.exit(rc)
EOF
t0=$(now_us)
timeout -k 5 60 "$PYTHON" "$PTYDRV" "$SANDBOX/ptystall.err" "$SANDBOX/ptystall.out" \
	"$SUPERVISE" --tail -j 3 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.stall"
rc=$?
took=$(ms_since "$t0")
note "terminal nobody reads: $took ms, $(wc -c <"$SANDBOX/ptystall.out") bytes reached it"
assert_eq 0 "$rc" "terminal nobody reads: exit status ($(head -c 300 "$SANDBOX/ptystall.err"))"
assert_le "$took" $((base_ms * 3 + 5000)) "terminal nobody reads: run time in ms (without --tail: $base_ms)"
all_completed "$LOG" 3 "terminal nobody reads"
expect_transcripts "$LOG" "terminal nobody reads" "${STALL[@]}"
assert_match "^$PROG: warning: task [0-9]+: --tail: [0-9]+ line\\(s\\) not mirrored: standard output would block\$" \
	"$(head -n 1 "$SANDBOX/ptystall.err")" "terminal nobody reads: the drops noted"
sed '$d' "$SANDBOX/ptystall.out" >"$SANDBOX/ptystall.lines" # the last may be cut
assert_eq "" "$("$PYTHON" "$CHECK" "$SANDBOX/ptystall.lines" subseq "${CHECKARGS[@]}")" \
	"terminal nobody reads: the mirrored lines"

# --------------------------------------------- a reader that goes away
new_run head
supervise --tail -j 8 -n "$RUN" -L "$LOG" "$SANDBOX/tasks.many" </dev/null 2>"$SANDBOX/head.err" | head -n 1 >"$SANDBOX/head.out"
assert_eq 0 "${PIPESTATUS[0]}" "| head: exit status"
assert_eq "" "$(cat "$SANDBOX/head.err")" "| head: stderr"
assert_eq "" "$("$PYTHON" "$CHECK" "$SANDBOX/head.out" subseq 1:900 2:900 3:700 4:700 5:1200 6:500 7:1500 8:800)" "| head: the line"
all_completed "$LOG" 8 "| head"

# ------------------------------------------------------------ --detach
new_run det
supervise --tail -d -n "$RUN" -L "$LOG" "$SANDBOX/tasks.crlf" </dev/null >"$SANDBOX/det.out" 2>"$SANDBOX/det.err"
assert_eq 2 "$?" "--tail --detach: exit status"
assert_match "--tail: not with --detach" "$(cat "$SANDBOX/det.err")" "--tail --detach: message"
assert_no_file "$LOG/joblog" "--tail --detach: nothing started"

# ------------------------------------------------------- stdout closed
# Not under CI's valgrind wrapper (ONESHOT_SUPERVISE=.ci/valgrind-wrap):
# valgrind's --log-file takes the free fd 1 and shows it to the program, so
# stdout is not closed there.
if [ "$(head -c 2 "$SUPERVISE")" = '#!' ] && grep -q valgrind "$SUPERVISE"; then
	note "under valgrind: the closed stdout check is skipped"
else
	new_run closed
	supervise --tail -n "$RUN" -L "$LOG" "$SANDBOX/tasks.crlf" </dev/null >&- 2>"$SANDBOX/closed.err"
	assert_eq 2 "$?" "--tail, stdout closed: exit status"
	assert_match "--tail: standard output is not open" "$(cat "$SANDBOX/closed.err")" "--tail, stdout closed: message"
	assert_no_file "$LOG/joblog" "--tail, stdout closed: nothing started"
fi

# ---------------------------------------------------- on a terminal
if ! command -v script >/dev/null || ! script -qfec true /dev/null </dev/null >/dev/null 2>&1; then
	note "SKIPPED the terminal case: util-linux script(1) is not available or cannot make a PTY"
else
	new_run tty
	printf '%s\n' 'sleep 0.7; echo one; sleep 0.7; echo two' 'sleep 0.5; echo uno; sleep 0.7; echo dos' 'true' >"$SANDBOX/tasks.tty"
	TERM=xterm timeout -k 5 60 script -qfec "stty cols 200 rows 50; exec '$SUPERVISE' --tail -j 2 -n '$RUN' -L '$LOG' '$SANDBOX/tasks.tty'" /dev/null \
		</dev/null >"$SANDBOX/tty.out" 2>&1
	assert_eq 0 "$?" "terminal: exit status"
	scr=$(screen "$SANDBOX/tty.out" | sed -E 's/ in [0-9.hms]+$/ in T/')
	assert_eq "[1] one
[1] two
[2] dos
[2] uno
$PROG: $RUN: 3 completed, 0 failed, 0 interrupted in T" "$(head -n 4 <<<"$scr" | sort; tail -n +5 <<<"$scr")" \
		"terminal: the screen at the end"
	raw=$(cat -v "$SANDBOX/tty.out")
	grep -q "$RUN: [0-9]/3 done" <<<"$raw" || fail "terminal: no status line drawn"
	for l in '\[1\] one' '\[1\] two' '\[2\] uno' '\[2\] dos'; do
		grep -q "\\^M\\^\\[\\[K$l\\^M\$" <<<"$raw" ||
			fail "terminal: $l not written as erase + line: $(grep "$l" <<<"$raw" | head -c 200)"
	done
fi
