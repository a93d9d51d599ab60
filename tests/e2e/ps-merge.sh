#!/bin/bash
# ps-merge.sh: oneshot-ps --merge puts the log directories of real
# `oneshotd-supervise --shard K/N` runs together: one job log sorted by task
# number with Host and Shard columns, every task's final state once, the
# counts and exit status of a single run, and -o files written whole or not
# at all; bad input (duplicate shard, another split, a malformed line, a task
# in the wrong shard) is refused with exit 2 and leaves no output.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/ps-lib.sh"

TAB=$'\t'
new_run m
LOGS="$SANDBOX/logs"
for k in 0 1 2 3; do E2E_RUNS+=("$RUN.$k"); done

# 40 tasks: 9, 18, 27 and 36 fail (exit 3); 13 fails once, then passes
# when run again; 2 has a tab in its command.
for i in $(seq 1 40); do
	if [ $((i % 9)) -eq 0 ]; then
		echo "exit 3"
	elif [ "$i" -eq 13 ]; then
		echo "test -e $SANDBOX/flag13 || { touch $SANDBOX/flag13; exit 4; }"
	elif [ "$i" -eq 2 ]; then
		echo "echo two${TAB}tabs"
	else
		echo "echo $i"
	fi
done >"$SANDBOX/tasks"

for k in 0 1 2 3; do
	supervise -j 4 --shard "$k/4" -n "$RUN.%K" -L "$LOGS/%K" "$SANDBOX/tasks" 2>/dev/null
	rc=$?
	# shard 0: 9 and 13; 1: 18; 2: 27; 3: 36
	assert_eq 1 "$rc" "shard $k/4 has a failed task"
done
# Shard 0 again with --resume-failed: 9 fails again, 13 completes, both
# get a second line.
supervise --shard 0/4 -n "$RUN.%K" -L "$LOGS/%K" --resume-failed "$SANDBOX/tasks" 2>/dev/null
assert_eq 1 "$?" "shard 0 resumed: task 9 still fails"
assert_eq 12 "$(joblog_count "$LOGS/0")" "shard 0's job log: 10 tasks, 2 of them twice"
HOST=$(json_get "$LOGS/0/summary.json" host)

# ---------------------------------------------------------------- merged
ps_run --merge "$LOGS/0" "$LOGS/1" "$LOGS/2" "$LOGS/3"
assert_eq 1 "$PS_RC" "some tasks failed: exit 1"
cp "$SANDBOX/ps.out" "$SANDBOX/merged"
assert_eq "$(printf 'Seq\tHost\tShard\tStarttime\tJobRuntime\tSend\tReceive\tExitval\t%b' \
	'Signal\tState\tAttempt\tReason\tCommand')" "$(head -1 "$SANDBOX/merged")" "merged header"
assert_eq 42 "$(awk 'NR > 1' "$SANDBOX/merged" | wc -l)" "40 tasks, two with 2 lines"
assert_eq "" "$(awk -F '\t' 'NR > 2 && $1 < prev { print NR } { prev = $1 }' "$SANDBOX/merged")" \
	"lines sorted by task number"
assert_eq "$(seq 1 40 | tr '\n' ' ')" \
	"$(awk -F '\t' 'NR > 1 && !seen[$1]++ { printf "%s ", $1 }' "$SANDBOX/merged")" \
	"every task 1..40 is there"
assert_eq "" "$(awk -F '\t' -v h="$HOST" 'NR > 1 && ($2 != h || $3 != ($1 - 1) % 4 "/4")' \
	"$SANDBOX/merged")" "Host is the shard's host, Shard is (task-1) mod 4 / 4"
# the final line of each task: the last one
finals=$(awk -F '\t' 'NR > 1 { st[$1] = $10 } END { for (t in st) print t, st[t] }' \
	"$SANDBOX/merged" | sort -n | awk '$2 != "COMPLETED" { printf "%s:%s ", $1, $2 }')
assert_eq "9:FAILED 18:FAILED 27:FAILED 36:FAILED " "$finals" "final states"
# (--resume starts a task's Attempt at 1 again: the order is the file's)
assert_eq "FAILED COMPLETED" \
	"$(awk -F '\t' '$1 == 13 { printf "%s%s", sep, $10; sep = " " }' "$SANDBOX/merged")" \
	"task 13's lines in their order"
assert_eq "echo two${TAB}tabs" "$(awk -F '\t' '$1 == 2' "$SANDBOX/merged" | cut -f13-)" \
	"a command with a tab is kept whole"
# each line is its shard's line with Host and Shard added
for k in 0 1 2 3; do awk 'NR > 1' "$LOGS/$k/joblog" | cut -f1,3-; done | sort >"$SANDBOX/orig"
awk 'NR > 1' "$SANDBOX/merged" | cut -f1,4- | sort >"$SANDBOX/back"
cmp -s "$SANDBOX/orig" "$SANDBOX/back" || fail "merged lines differ from the shards' lines"
# Task 9's final line is the resumed run's: its second attempt.
assert_match "^oneshot-ps: merged 4 shards: 36 completed, 4 failed \(task 9: exit 3, attempt 2\), \
0 interrupted, 0 not run$" "$(head -1 "$SANDBOX/ps.err")" "summary line on stderr"
assert_match "task 27 FAILED \(exit 3\) on $HOST, shard 2/4: exit 3" "$PS_ERR" "failed tasks named"
assert_eq 5 "$(wc -l <"$SANDBOX/ps.err")" "summary line and 4 failed tasks"

# -o: the same job log and a summary.json, nothing on stdout
ps_run --merge -o "$SANDBOX/out" "$LOGS/3" "$LOGS/1" "$LOGS/0" "$LOGS/2"
assert_eq 1 "$PS_RC" "-o: exit 1"
assert_eq "" "$PS_OUT" "-o: nothing on stdout"
cmp -s "$SANDBOX/merged" "$SANDBOX/out/joblog" || fail "-o joblog differs from stdout's"
assert_eq 700 "$(stat -c %a "$SANDBOX/out")" "-o directory made with mode 0700"
assert_eq "joblog summary.json" "$(ls "$SANDBOX/out" | tr '\n' ' ' | sed 's/ $//')" \
	"-o holds the two files, no temporary file"
S="$SANDBOX/out/summary.json"
assert_eq "40 40 36 4 0 0 1" "$(json_get "$S" listed) $(json_get "$S" total) \
$(json_get "$S" counts.completed) $(json_get "$S" counts.failed) \
$(json_get "$S" counts.interrupted) $(json_get "$S" counts.not_run) $(json_get "$S" exit_status)" \
	"summary.json counts and exit status"
assert_eq "[9, 18, 27, 36]" "$(json_get "$S" failed)" "summary.json names the failed tasks"
# shards FILE EXPR: print EXPR of s, the "shards" array of summary FILE
shards() {
	"$PYTHON" -c "import json,sys; s = json.load(open(sys.argv[1]))['shards']; print($2)" "$1"
}
assert_eq "0 1 2 3" "$(shards "$S" '" ".join(str(x["index"]) for x in s)')" \
	"summary.json lists the shards in index order"
assert_eq "$LOGS/2 $HOST 1" "$(shards "$S" 's[2]["dir"], s[2]["host"], s[2]["exit_status"]')" \
	"a shard's dir, host and exit status"
ps_run --merge --json "$LOGS/0" "$LOGS/1" "$LOGS/2" "$LOGS/3"
assert_eq "$(cat "$S")" "$PS_OUT" "--json prints the summary"

# ---------------------------------------------- missing and unfinished
ps_run --merge -o "$SANDBOX/out3" "$LOGS/0" "$LOGS/1" "$LOGS/3"
assert_eq 1 "$PS_RC" "a missing shard: exit 1"
assert_match "warning: 1 shard missing \(2/4\): its tasks count as not run" "$PS_ERR" \
	"missing shard warned about"
assert_match "merged 3 of 4 shards: 27 completed, 3 failed .*, 10 not run" "$PS_ERR" \
	"missing shard: its 10 tasks not run"
assert_eq "10 [2]" "$(json_get "$SANDBOX/out3/summary.json" counts.not_run) \
$(json_get "$SANDBOX/out3/summary.json" missing_shards)" "summary.json: not run, missing shard"
cp -a "$LOGS/3" "$SANDBOX/running3"
rm "$SANDBOX/running3/summary.json"
ps_run --merge "$LOGS/0" "$LOGS/1" "$LOGS/2" "$SANDBOX/running3"
assert_eq 1 "$PS_RC" "an unfinished shard: exit 1"
assert_match "running3: no summary.json: that run has not finished \(or is still running\)" \
	"$PS_ERR" "unfinished run warned about"
assert_match "merged 3 of 4 shards: .* 10 not run" "$PS_ERR" "unfinished shard's tasks not run"

# ------------------------------------------------------ all completed: 0
new_run ok
for k in 0 1; do E2E_RUNS+=("$RUN.$k"); done
seq 1 7 | sed 's/^/echo /' >"$SANDBOX/ok-tasks"
for k in 0 1; do
	supervise --shard "$k/2" -n "$RUN.%K" -L "$SANDBOX/ok/%K" "$SANDBOX/ok-tasks" 2>/dev/null ||
		fail "ok shard $k failed"
done
ps_run --merge "$SANDBOX/ok/1" "$SANDBOX/ok/0"
assert_eq 0 "$PS_RC" "every task completed: exit 0"
assert_eq "oneshot-ps: merged 2 shards: 7 completed, 0 failed, 0 interrupted, 0 not run" \
	"$PS_ERR" "the summary line is printed on success too"
assert_eq "1 2 3 4 5 6 7" "$(awk -F '\t' 'NR > 1 { printf "%s%s", sep, $1; sep = " " }' \
	"$SANDBOX/ps.out")" "all tasks, in order"
new_run plain
supervise -n "$RUN" -L "$SANDBOX/plain" "$SANDBOX/ok-tasks" 2>/dev/null || fail "plain run failed"
ps_run --merge "$SANDBOX/plain"
assert_eq 0 "$PS_RC" "an unsharded run merges as shard 0/1"
assert_eq 7 "$(awk -F '\t' 'NR > 1 && $3 == "0/1"' "$SANDBOX/ps.out" | wc -l)" "Shard 0/1"

# --------------------------------------------------- bad input: exit 2
# refused NAME ERE ARGS...: --merge -o OUT ARGS exits 2 with one error line
# matching ERE, and OUT was not even created.  (A job log edited after its
# summary.json also gets a warning that a later run has not finished.)
refused() {
	local name=$1 ere=$2
	shift 2
	ps_run --merge -o "$SANDBOX/bad-$name" "$@"
	assert_eq 2 "$PS_RC" "$name: exit 2"
	assert_match "$ere" "$PS_ERR" "$name: the error"
	assert_eq 1 "$(grep -c error: "$SANDBOX/ps.err")" "$name: one line of error"
	assert_no_file "$SANDBOX/bad-$name" "$name: nothing written"
}

cp -a "$LOGS/0" "$SANDBOX/copy0"
refused duplicate "error: shard 0/4 given twice: $LOGS/0 and $SANDBOX/copy0$" \
	"$LOGS/0" "$LOGS/1" "$SANDBOX/copy0"

E2E_RUNS+=("$RUN.three")
supervise --shard 0/3 -n "$RUN.three" -L "$SANDBOX/three" "$SANDBOX/tasks" 2>/dev/null
refused split "$SANDBOX/three is shard 0/3 but $LOGS/1 is shard 1/4: not shards of one split" \
	"$LOGS/1" "$SANDBOX/three"

cp -a "$LOGS/1" "$SANDBOX/malformed"
awk -F '\t' -v OFS='\t' 'NR == 3 { $7 = "x" } { print }' "$LOGS/1/joblog" \
	>"$SANDBOX/malformed/joblog"
refused malformed "error: $SANDBOX/malformed/joblog:3: bad Exitval$" \
	"$LOGS/0" "$SANDBOX/malformed" "$LOGS/2" "$LOGS/3"

cp -a "$LOGS/1" "$SANDBOX/wrong"
grep "^3$TAB" "$LOGS/2/joblog" >>"$SANDBOX/wrong/joblog"
refused wrong-shard "error: $SANDBOX/wrong/joblog:12: task 3 belongs to shard 2/4, not to this shard 1/4$" \
	"$LOGS/0" "$SANDBOX/wrong"

printf '{"host": "h", "exit_status": 0, "shard": null' >"$SANDBOX/copy0/summary.json"
refused summary "error: $SANDBOX/copy0/summary.json:1: not a oneshot summary" "$SANDBOX/copy0"

# -o naming a merged log directory or a symlink is refused, changing nothing
before=$(cat "$LOGS/1/joblog")
ps_run --merge -o "$LOGS/1" "$LOGS/0" "$LOGS/1"
assert_eq 2 "$PS_RC" "-o a merged directory: exit 2"
assert_match "it is one of the log directories merged" "$PS_ERR" "-o a merged directory: why"
assert_eq "$before" "$(cat "$LOGS/1/joblog")" "-o a merged directory: its job log untouched"
ln -s "$SANDBOX/out" "$SANDBOX/link"
ps_run --merge -o "$SANDBOX/link" "$LOGS/0"
assert_eq 2 "$PS_RC" "-o a symlink: exit 2"
assert_match "it is a symbolic link" "$PS_ERR" "-o a symlink: why"

ps_run --merge "$LOGS/0" -o "$SANDBOX/late"
assert_eq 2 "$PS_RC" "options after the directories: usage error"
ps_run --merge -n x "$LOGS/0"
assert_eq 2 "$PS_RC" "--merge with -n: usage error"
ps_run "$LOGS/0"
assert_eq 2 "$PS_RC" "a directory without --merge: usage error"
