#!/bin/bash
# shard.sh: --shard K/N and --shard auto on one machine.  Shards split a task
# list so that every task runs in exactly one of them under its original
# number; %K and %N name runs and log directories; --resume works per shard;
# bad shard specifications start nothing.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"

ran="$SANDBOX/ran"
N=10
for i in $(seq 1 $N); do
	if [ "$i" = 5 ]; then
		echo "echo \$ONESHOT_TASK_ID >>$ran; exit 3"
	else
		echo "echo \$ONESHOT_TASK_ID >>$ran; echo task $i"
	fi
done >"$SANDBOX/tasks"

# Seqs of LOGDIR's job log, sorted, space separated.
seqs() {
	awk -F '\t' 'NR > 1 { print $1 }' "$1/joblog" | sort -n | tr '\n' ' ' | sed 's/ $//'
}

# 1. Three shards, %K and %N in the name and log directory.
base="e2e-$TEST-$$"
E2E_RUNS+=("$base.0.3" "$base.1.3" "$base.2.3")
for k in 0 1 2; do
	supervise --shard "$k/3" -n "$base.%K.%N" -L "$SANDBOX/logs/%N/%K" "$SANDBOX/tasks" \
		2>"$SANDBOX/err.$k"
	rc=$?
	if [ "$k" = 1 ]; then
		assert_eq 1 "$rc" "shard 1/3 holds the failing task 5: exit 1"
	else
		assert_eq 0 "$rc" "shard $k/3: exit 0"
	fi
done
assert_eq "1 4 7 10" "$(seqs "$SANDBOX/logs/3/0")" "shard 0/3: tasks 1, 4, 7, 10"
assert_eq "2 5 8" "$(seqs "$SANDBOX/logs/3/1")" "shard 1/3: tasks 2, 5, 8"
assert_eq "3 6 9" "$(seqs "$SANDBOX/logs/3/2")" "shard 2/3: tasks 3, 6, 9"
assert_eq "$(seq 1 $N | tr '\n' ' ' | sed 's/ $//')" "$(sort -n "$ran" | tr '\n' ' ' | sed 's/ $//')" \
	"every task ran exactly once across the shards"
assert_match "task 7" "$(cat "$SANDBOX/logs/3/0/7.log" 2>/dev/null)" "transcripts keep the task numbers"
assert_no_file "$SANDBOX/logs/3/0/2.log" "no transcript of another shard's task"
assert_eq "1 3 10 3 1" "$(for f in index count; do json_get "$SANDBOX/logs/3/1/summary.json" shard.$f; done | tr '\n' ' ')$(json_get "$SANDBOX/logs/3/1/summary.json" listed) $(json_get "$SANDBOX/logs/3/1/summary.json" total) $(json_get "$SANDBOX/logs/3/1/summary.json" exit_status)" \
	"summary.json: shard 1 of 3, 10 listed, 3 in this shard, exit 1"
assert_eq "$(hostname)" "$(json_get "$SANDBOX/logs/3/1/summary.json" host)" "summary.json names the host"
assert_eq "2 5 8" "$("$PS" -n "$base.1.3" --json | "$PYTHON" -c '
import json, sys
print(*[t["id"] for t in json.load(sys.stdin)["tasks"]])')" "the shard's table holds the original numbers"

# 2. --resume-failed per shard: only task 5 runs again.
: >"$ran"
supervise --shard 1/3 -n "$base.%K.%N" -L "$SANDBOX/logs/%N/%K" --resume-failed "$SANDBOX/tasks" 2>/dev/null
assert_eq 1 "$?" "resumed shard: task 5 fails again"
assert_eq "5" "$(cat "$ran")" "resumed shard ran only its failed task"
# Another shard's log directory is refused, naming the line.
new_run wrong
supervise --shard 2/3 -n "$RUN" -L "$SANDBOX/logs/3/0" --resume "$SANDBOX/tasks" 2>"$SANDBOX/err2"
assert_eq 2 "$?" "--resume with another shard's job log: refused"
assert_match "joblog:[0-9]+: task (1|4|7|10) is not one of this run's tasks" "$(cat "$SANDBOX/err2")" \
	"and the error names the job-log line"
assert_no_file "$SHM" "refused resume: no table"

# 3. --shard auto from a Slurm array's variables (--array=1-4: ids from 1).
new_run slurm
: >"$ran"
SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_COUNT=4 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=4 \
	supervise --shard auto -n "$RUN" -L "$LOG/%K" "$SANDBOX/tasks" 2>/dev/null
assert_eq 0 "$?" "--shard auto: array task 3 of 1-4 is shard 2/4"
assert_eq "3 7" "$(seqs "$LOG/2")" "--shard auto: shard 2/4 ran tasks 3 and 7"
# Kubernetes Indexed Job: the index from the environment, the count given.
new_run k8s
JOB_COMPLETION_INDEX=1 supervise --shard auto/4 -n "$RUN" -L "$LOG" "$SANDBOX/tasks" 2>/dev/null
assert_eq 0 "$?" "--shard auto/4 with JOB_COMPLETION_INDEX=1: shard 1/4"
assert_eq "2 6 10" "$(seqs "$LOG")" "--shard auto/4: tasks 2, 6 and 10"

# 4. An empty shard (more shards than tasks) is a successful empty run.
new_run empty
printf 'true\ntrue\n' >"$SANDBOX/two"
supervise --shard 3/4 -n "$RUN" -L "$LOG" "$SANDBOX/two" 2>"$SANDBOX/err4"
assert_eq 0 "$?" "empty shard: exit 0"
assert_eq "0 2" "$(json_get "$LOG/summary.json" total) $(json_get "$LOG/summary.json" listed)" \
	"empty shard: summary with no tasks of 2 listed"
assert_eq 0 "$(joblog_count "$LOG")" "empty shard: a job log with its header only"

# 5. Bad shard specifications: one line naming the option, exit 2, nothing
#    created.
new_run bad
check_refused() {
	local want="$1"; shift
	env -u SLURM_ARRAY_TASK_ID -u JOB_COMPLETION_INDEX "$SUPERVISE" "$@" -L "$LOG" "$SANDBOX/tasks" \
		2>"$SANDBOX/errbad"
	assert_eq 2 "$?" "$*: usage error"
	assert_match "$want" "$(cat "$SANDBOX/errbad")" "$*: message"
	assert_eq 1 "$(wc -l <"$SANDBOX/errbad" | tr -d ' ')" "$*: one line"
	assert_no_file "$LOG" "$*: no log directory"
}
check_refused "--shard: K must be a whole number from 0 to N-1, got '3/3'" --shard 3/3 -n "$RUN"
check_refused "--shard: expected K/N" --shard 1 -n "$RUN"
check_refused "--shard auto: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX" --shard auto -n "$RUN"
check_refused "--name: %K and %N need --shard" -n "$RUN.%K"
assert_no_file "$SHM" "refused runs: no table"
