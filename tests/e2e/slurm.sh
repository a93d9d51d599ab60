#!/bin/bash
# slurm.sh: --shard auto under a real Slurm. Starts a private one-node cluster
# from Debian's slurm-wlm and munge (slurm-lib.sh; installed with apt-get when
# missing, the test skips when that fails or when not root), submits
# examples/slurm/oneshot-array.sbatch (its paths pointed at the sandbox) as a
# 4-way array over a list of 103 tasks of which 13, 42 and 77 exit 3, waits
# for it, and checks:
#   - every task 1..103 ran exactly once, with a terminal (/dev/pts/N) on
#     stdin and stdout, in the array task (shard) K = (i-1) mod 4, under the
#     run name slurm-e2e.K, and its transcript shows the same terminal;
#   - each shard's joblog: exactly its tasks, one line each, COMPLETED with
#     Exitval 0 except 13, 42, 77: FAILED with Exitval 3;
#   - each shard's summary.json: shard index K of 4, listed 103, counts and
#     exit_status (1 for shards 0 and 1, which hold the failures; 0 else);
#   - Slurm's own record of each array task: ExitCode 1:0 (FAILED) for
#     shards 0 and 1, 0:0 (COMPLETED) for 2 and 3;
#   - oneshot-ps --merge of the four log directories (when this oneshot-ps
#     has --merge): exit 1, one line per task sorted 1..103 with its shard
#     K/4, the failures, counts 100/3/0/0 and exit_status 1 in summary.json;
#   - the daemons stop when asked and leave no process behind.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/slurm-lib.sh"

T0=$SECONDS
NTASKS=103
SHARDS=4
FAILING="13 42 77"
EXAMPLE=$ONESHOT_SRCDIR/examples/slurm/oneshot-array.sbatch
assert_file "$EXAMPLE" "examples/slurm/oneshot-array.sbatch" || fatal "the example is missing"

slurm_require

# The cluster's daemons go before lib.sh's cleanup removes the sandbox.
slurm_exit() {
	local st=$?
	if [ "$E2E_FAILURES" -gt 0 ] && [ -n "$CLUSTER" ]; then
		cluster_logs >&2
		for f in "$SANDBOX"/slurm-*.out; do
			[ -s "$f" ] && { echo "# ---- ${f##*/}"; sed 's/^/#   /' "$f"; } >&2
		done
	fi
	cluster_stop
	(exit "$st")
	e2e_cleanup
}
trap slurm_exit EXIT

cluster_start
note "cluster started in $((SECONDS - T0)) s"

# ------------------------------------------------------------ the batch

is_failing() {
	[[ " $FAILING " == *" $1 "* ]]
}

# outcome I: "EXITVAL STATE" task I must end with
outcome() {
	if is_failing "$1"; then echo "3 FAILED"; else echo "0 COMPLETED"; fi
}

RAN=$SANDBOX/ran
: >"$RAN"
# Each task appends one line (a single short O_APPEND write) and prints its
# terminal into its transcript.
for ((i = 1; i <= NTASKS; i++)); do
	line='t=$(tty) && test -t 0 && test -t 1 && echo "$ONESHOT_TASK_ID $t $ONESHOT_RUN ${SLURM_ARRAY_TASK_ID:-none}" >>'"$RAN"'; echo "task $ONESHOT_TASK_ID on $t"'
	is_failing "$i" && line="$line; exit 3"
	printf '%s\n' "$line"
done >"$SANDBOX/nightly.tasks"

# The example with its paths pointed at the sandbox; each replacement must
# have happened, or the test would not be running the example's command.
PREFIX=slurm-e2e-$$
LOGS=$SANDBOX/logs
JOB=$SANDBOX/oneshot-array.sbatch
for s in /shared/logs/nightly/%K /shared/nightly.tasks 'nightly.%K' 'exec oneshotd-supervise --shard auto'; do
	grep -qF -- "$s" "$EXAMPLE" || fail "examples/slurm/oneshot-array.sbatch has no [$s]"
done
sed -e "s|/shared/logs/nightly/%K|$LOGS/%K|g" -e "s|/shared/nightly.tasks|$SANDBOX/nightly.tasks|g" \
	-e "s|nightly\.%K|$PREFIX.%K|g" "$EXAMPLE" >"$JOB"
grep -q '^#SBATCH --array=0-15$' "$JOB" || fail "the example does not ask for --array=0-15"
grep -q 'SLURM_CPUS_PER_TASK' "$JOB" || fail "the example does not take its cap from SLURM_CPUS_PER_TASK"
for ((k = 0; k < SHARDS; k++)); do
	E2E_RUNS+=("$PREFIX.$k")
done

# oneshotd-supervise from PATH, as in the example; sbatch passes the
# environment on to the job.
mkdir -p "$SANDBOX/bin" && ln -s "$SUPERVISE" "$SANDBOX/bin/oneshotd-supervise"
mkdir -p "$LOGS"
t_submit=$SECONDS
# The command line wins over the script's #SBATCH lines: 4 shards, 1 CPU each.
JOBID=$(PATH="$SANDBOX/bin:$PATH" sbatch --parsable --array=0-$((SHARDS - 1)) --cpus-per-task=1 \
	--chdir="$SANDBOX" --output="$SANDBOX/slurm-%A_%a.out" --job-name=oneshot-e2e \
	"$JOB" 2>"$SANDBOX/sbatch.err") ||
	cluster_fatal "sbatch failed: $(cat "$SANDBOX/sbatch.err")"
JOBID=${JOBID%%;*}
note "submitted array job $JOBID"

# array_record: one line per array task of the job, "K STATE EXITCODE",
# from slurmctld (no accounting daemon here; MinJobAge keeps them 10 min)
array_record() {
	scontrol show job -o "$JOBID" 2>/dev/null | awk '{
		k = st = ec = ""
		for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == "ArrayTaskId") k = kv[2]
			else if (kv[1] == "JobState") st = kv[2]
			else if (kv[1] == "ExitCode") ec = kv[2]
		}
		print k, st, ec
	}' | sort -n
}
# array_done: all SHARDS array tasks listed, none pending or running
array_done() {
	local rec
	rec=$(array_record)
	[ "$(printf '%s\n' "$rec" | grep -c .)" -eq "$SHARDS" ] &&
		! printf '%s\n' "$rec" | grep -qE ' (PENDING|CONFIGURING|RUNNING|COMPLETING|SUSPENDED|REQUEUED)'
}
wait_for array_done 240 ||
	cluster_fatal "array job $JOBID not finished within 240 s: $(array_record | tr '\n' ';') $(squeue -h 2>&1 | tr '\n' ';')"
note "array job finished in $((SECONDS - t_submit)) s"

# ------------------------------------------------------------ what Slurm saw

declare -A want_exit=() want_count=() want_failed=()
for ((k = 0; k < SHARDS; k++)); do
	want_exit[$k]=0 want_count[$k]=0 want_failed[$k]=0
done
for ((i = 1; i <= NTASKS; i++)); do
	k=$(((i - 1) % SHARDS))
	want_count[$k]=$((want_count[$k] + 1))
	if is_failing "$i"; then
		want_exit[$k]=1 want_failed[$k]=$((want_failed[$k] + 1))
	fi
done
assert_eq "1 1 0 0" "${want_exit[0]} ${want_exit[1]} ${want_exit[2]} ${want_exit[3]}" \
	"exit status expected of each shard (test setup)"

expect_rec=
for ((k = 0; k < SHARDS; k++)); do
	if [ "${want_exit[$k]}" -eq 0 ]; then
		expect_rec+="$k COMPLETED 0:0"$'\n'
	else
		expect_rec+="$k FAILED ${want_exit[$k]}:0"$'\n'
	fi
done
assert_eq "${expect_rec%$'\n'}" "$(array_record)" "Slurm's record of the array tasks (K STATE EXITCODE)"

# ------------------------------------------------------------ every task once

# RAN lines: ID TTY RUN ARRAYTASK
dups=$(awk '{ n[$1]++ } END { for (i in n) if (n[i] > 1) print i "x" n[i] }' "$RAN" | sort -n | tr '\n' ' ')
assert_eq "" "$dups" "tasks that ran more than once"
assert_eq "$(seq 1 "$NTASKS" | tr '\n' ' ')" "$(awk '{ print $1 }' "$RAN" | sort -nu | tr '\n' ' ')" \
	"task numbers that ran (each once)"
bad=$(awk -v n="$SHARDS" -v p="$PREFIX" '
	$2 !~ /^\/dev\/pts\/[0-9]+$/ { print "task " $1 ": terminal [" $2 "]"; next }
	$4 != ($1 - 1) % n { print "task " $1 ": ran in array task " $4 ", not " ($1 - 1) % n }
	$3 != p "." ($1 - 1) % n { print "task " $1 ": ONESHOT_RUN " $3 }
	NF != 4 { print "task " $1 ": line [" $0 "]" }' "$RAN" | head -5)
assert_eq "" "$bad" "terminal, shard and run name of each task (first 5 wrong shown)"

# each transcript is the task's own terminal output
bad=
while read -r id tty _; do
	k=$(((id - 1) % SHARDS))
	got=$(cat "$LOGS/$k/$id.log" 2>/dev/null)
	[ "$got" = "task $id on $tty" ] || bad+="$id:[$got] "
done <"$RAN"
assert_eq "" "$bad" "transcripts (LOGDIR/ID.log) showing the task's terminal"

# ------------------------------------------------------------ each shard's logs

for ((k = 0; k < SHARDS; k++)); do
	d=$LOGS/$k
	assert_file "$d/joblog" "shard $k joblog" || continue
	assert_eq "$JOBLOG_HEADER" "$(head -n 1 "$d/joblog")" "shard $k joblog header"
	expect=
	for ((i = 1; i <= NTASKS; i++)); do
		[ $(((i - 1) % SHARDS)) -eq "$k" ] || continue
		expect+="$i $(outcome "$i") 1"$'\n'
	done
	assert_eq "${expect%$'\n'}" "$(awk -F '\t' 'NR > 1 { print $1, $7, $9, $10 }' "$d/joblog" | sort -n)" \
		"shard $k joblog (Seq Exitval State Attempt, one line per task)"
	assert_file "$d/summary.json" "shard $k summary.json" || continue
	assert_eq "$k $SHARDS $NTASKS ${want_count[$k]} $((want_count[$k] - want_failed[$k])) ${want_failed[$k]} 0 0 ${want_exit[$k]}" \
		"$(for key in shard.index shard.count listed total counts.completed counts.failed \
			counts.interrupted counts.not_started exit_status; do
			json_get "$d/summary.json" "$key"; done | tr '\n' ' ' | sed 's/ $//')" \
		"shard $k summary.json (index count listed total completed failed interrupted not_started exit_status)"
	assert_eq "$PREFIX.$k" "$(json_get "$d/summary.json" name)" "shard $k run name"
done
assert_eq "${FAILING// /,}" "$(cat "$LOGS"/*/joblog | awk -F '\t' '$9 == "FAILED" { print $1 }' | sort -n | paste -sd,)" \
	"FAILED tasks over all shards"

# ------------------------------------------------------------ the merge

MERGED=$SANDBOX/merged
timeout -k 5 60 "$PS" --merge -o "$MERGED" "$LOGS/0" "$LOGS/1" "$LOGS/2" "$LOGS/3" \
	>"$SANDBOX/merge.out" 2>"$SANDBOX/merge.err"
assert_eq 1 "$?" "oneshot-ps --merge exit status (3 tasks failed)"
assert_match "^oneshot-ps: merged 4 shards: 100 completed, 3 failed \\(task 13: exit 3\\), 0 interrupted" \
	"$(head -n 1 "$SANDBOX/merge.err")" "oneshot-ps --merge: the summary line on stderr"
assert_eq "13 42 77" "$(awk 'NR > 1 { print $2 }' "$SANDBOX/merge.err" | paste -sd ' ')" \
	"oneshot-ps --merge: then one line per failed task"
assert_eq "$(printf 'Seq\tHost\tShard\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tState\tAttempt\tReason\tCommand')" \
	"$(head -n 1 "$MERGED/joblog" 2>/dev/null)" "merged joblog header"
expect=
for ((i = 1; i <= NTASKS; i++)); do
	expect+="$i $(((i - 1) % SHARDS))/$SHARDS $(outcome "$i")"$'\n'
done
# in file order: sorted by task number is part of what is checked
assert_eq "${expect%$'\n'}" "$(awk -F '\t' 'NR > 1 { print $1, $3, $8, $10 }' "$MERGED/joblog" 2>/dev/null)" \
	"merged joblog (Seq Shard Exitval State), sorted, one line per task"
assert_eq "100 3 0 0 1" "$(for key in counts.completed counts.failed counts.interrupted \
	counts.not_run exit_status; do json_get "$MERGED/summary.json" "$key"; done | tr '\n' ' ' | sed 's/ $//')" \
	"merged summary.json (completed failed interrupted not_run exit_status)"

before=$E2E_FAILURES
cluster_stop
[ "$E2E_FAILURES" -eq "$before" ] && note "daemons stopped, no process of the cluster left"
note "whole test $((SECONDS - T0)) s"
