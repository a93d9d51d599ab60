#!/bin/bash
# rel-storm.sh: output storms.
#
# 8 tasks at once each write a header line and then N bytes as fast as they
# can (CI: 64 MiB each; SOAK=1: 1 GiB each): a 1 MiB block of random bytes,
# made once, cat'ed N/1 MiB times. Checks:
#  - every transcript is byte-exact (cmp against the same stream made again),
#    and the joblog's Receive and oneshot-ps's bytes are its size;
#  - memory stays flat: the peak RSS (VmHWM, sampled every 50 ms) of the
#    supervisor and of the largest worker in this run is no more than
#    1.25 x + 2 MiB the peak of a run writing N/8 per task (an output-sized
#    buffer anywhere would add tens of MiB). So that every worker's peak is
#    seen, however slow the machine, each task waits at a gate of its own
#    once it has written everything, until the sampler has sampled its
#    worker (VmHWM then covers the whole storm); all 8 must be so sampled;
#  - oneshot-ps -n NAME (and --json) answers within 1 s, each time, while the
#    storm runs.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/rel-lib.sh"

MIB=1048576
BLOCKS=$(soak 64 1024)	# MiB per task
NT=8

avail_kb=$(df -Pk "$SANDBOX" | awk 'NR == 2 { print $4 }')
need_kb=$(( (BLOCKS + BLOCKS / 8) * NT * 1024 + 65536 ))
[ "$avail_kb" -ge "$need_kb" ] || skip "needs $((need_kb / 1024)) MiB free in $SANDBOX, has $((avail_kb / 1024))"

BLK="$SANDBOX/block"
head -c "$MIB" /dev/urandom >"$BLK" || fatal "cannot make the random block"

# stream ID BLOCKS: the bytes task ID writes (a sh script: the tasks run it)
cat >"$SANDBOX/stream" <<EOF
printf 'task %s\\n' "\$1"
i=0
while [ "\$i" -lt "\$2" ]; do
	cat '$BLK'
	i=\$((i + 1))
done
EOF
stream() { sh "$SANDBOX/stream" "$@"; }

# sampler SUP_PID OUT DONEDIR GATE: until SUP_PID is gone, every 50 ms,
# write "SUP_HWM_KB MAX_WORKER_HWM_KB SAMPLES SEEN" to OUT. A task that has
# written all its output puts its pid in DONEDIR/ID and waits at GATE.ID;
# the sampler then samples its worker (the task's parent, alive while the
# task waits) and opens that gate. SEEN counts the workers so sampled. Forks
# nothing but sleep.
sampler() {
	local sup=$1 out=$2 done_dir=$3 gate=$4 sh=0 wh=0 n=0 seen=0 p f id tp st
	local -A released=()
	while proc_alive "$sup"; do
		rel_hwm "$sup" && [ "$REL_HWM" -gt "$sh" ] && sh=$REL_HWM
		rel_workers_list "$sup"
		for p in "${REL_WS[@]}"; do
			rel_hwm "$p" && [ "$REL_HWM" -gt "$wh" ] && wh=$REL_HWM
		done
		for f in "$done_dir"/*; do
			id=${f##*/}
			[ -e "$f" ] && [ -z "${released[$id]:-}" ] || continue
			tp=
			read -r tp 2>/dev/null <"$f"
			[ -n "$tp" ] || continue	# (being written)
			released[$id]=1
			if read -r st 2>/dev/null <"/proc/$tp/stat"; then
				st=${st##*) }
				set -- $st
				if [[ /proc/$2/exe -ef /proc/$sup/exe ]] && rel_hwm "$2"; then
					seen=$((seen + 1))
					[ "$REL_HWM" -gt "$wh" ] && wh=$REL_HWM
				fi
			fi
			gate_open "$gate.$id"
		done
		n=$((n + 1))
		echo "$sh $wh $n $seen" >"$out"
		sleep 0.05
	done
	for ((id = 1; id <= NT; id++)); do
		gate_open "$gate.$id"
	done
}

# prober NAME SUP_PID OUT: until SUP_PID is gone, every 100 ms, time
# oneshot-ps -n NAME and oneshot-ps -n NAME --json; one line per call:
# "MS STATUS ARGS"
prober() {
	local name=$1 sup=$2 out=$3 t0 rc a
	wait_table "$name" "$sup" 60
	while proc_alive "$sup"; do
		for a in "" --json; do
			t0=$(now_us)
			timeout -k 1 10 "$PS" -n "$name" $a </dev/null >/dev/null 2>&1
			rc=$?
			proc_alive "$sup" && echo "$(ms_since "$t0") $rc ${a:-plain}" >>"$out"
		done
		sleep 0.1
	done
}

# storm TAG BLOCKS: run the storm; sets PEAK_SUP, PEAK_WORKER (kB), TOOK (ms)
storm() {
	local tag=$1 nb=$2 i bad=0 rcv
	new_run "$tag"
	local gate="$SANDBOX/gate.$tag" done_dir="$SANDBOX/done.$tag"
	mkdir "$done_dir"
	for i in $(seq 1 "$NT"); do
		gate_close "$gate.$i"
		echo "sh '$SANDBOX/stream' \$ONESHOT_TASK_ID $nb && echo \$\$ >'$done_dir/$i' && $(gate_wait "$gate.$i")"
	done >"$SANDBOX/tasks.$tag"
	local t0
	t0=$(now_us)
	start_bg -j "$NT" -n "$RUN" -L "$LOG" "$SANDBOX/tasks.$tag" 2>"$SANDBOX/err.$tag"
	sampler "$SUP_PID" "$SANDBOX/mem.$tag" "$done_dir" "$gate" &
	local spid=$!
	local ppid=
	if [ "$3" = probe ]; then
		: >"$SANDBOX/probe.$tag"
		prober "$RUN" "$SUP_PID" "$SANDBOX/probe.$tag" &
		ppid=$!
	fi
	wait_exit "$SUP_PID" "$(soak 120 1800)"
	TOOK=$(ms_since "$t0")
	wait $spid $ppid 2>/dev/null
	REL_RUNS=$((REL_RUNS + 1))
	assert_eq 0 "$EXIT_STATUS" "$tag: exit status ($(head -c 300 "$SANDBOX/err.$tag"))"
	tick=$(rel_tick)
	rel_verify "$tag" "$RUN" "$LOG" "$NT" all-completed
	for i in $(seq 1 "$NT"); do
		want=$(( ${#i} + 6 + nb * MIB ))
		if ! stream "$i" "$nb" | cmp -s - "$LOG/$i.log"; then
			bad=$((bad + 1))
			fail "$tag: task $i's transcript is not byte-exact: $(stream "$i" "$nb" | cmp - "$LOG/$i.log" 2>&1 | head -n 1); size $(stat -c %s "$LOG/$i.log" 2>/dev/null), expected $want"
		fi
		rcv=$(joblog_col "$LOG" "$i" Receive)
		assert_eq "$want" "$rcv" "$tag: task $i joblog Receive"
	done
	got=$("$PYTHON" -c 'import json,sys; print(" ".join(str(t["bytes"]) for t in json.load(open(sys.argv[1]))["tasks"]))' "$LOG.ps.json" 2>/dev/null)
	assert_eq "$(for i in $(seq 1 "$NT"); do printf '%s ' $(( ${#i} + 6 + nb * MIB )); done | sed 's/ $//')" "$got" "$tag: oneshot-ps bytes of each task"
	read -r PEAK_SUP PEAK_WORKER samples seen <"$SANDBOX/mem.$tag"
	note "$tag: $NT x $nb MiB in $TOOK ms ($(( NT * nb * 1000 / (TOOK + 1) )) MiB/s); peak RSS supervisor ${PEAK_SUP} kB, largest worker ${PEAK_WORKER} kB ($samples samples; $seen workers sampled at the end of their storm)"
	# VmHWM is a high-water mark: one sample of the supervisor suffices, but
	# the workers' figure means something only if a sample caught them, and
	# is their peak only if it caught each of them after its storm.
	[ "${PEAK_WORKER:-0}" -gt 0 ] || fail "$tag: no sample caught a live worker (${samples:-0} samples)"
	assert_eq "$NT" "${seen:-}" "$tag: workers sampled after their task wrote everything"
	rel_assert_none_left "$tag" "$RUN" 3 "$tick"
	# the transcripts are big: drop them now
	rm -f "$LOG"/*.log
}

storm small $((BLOCKS / 8)) noprobe
small_sup=$PEAK_SUP small_worker=$PEAK_WORKER
storm big "$BLOCKS" probe
big_sup=$PEAK_SUP big_worker=$PEAK_WORKER

# flat: big <= 1.25 * small + 2 MiB
limit() { echo $(( $1 * 5 / 4 + 2048 )); }
assert_le "$big_sup" "$(limit "$small_sup")" "peak RSS of the supervisor: $big_sup kB writing $BLOCKS MiB per task vs $small_sup kB writing $((BLOCKS / 8)) MiB (not flat)"
assert_le "$big_worker" "$(limit "$small_worker")" "peak RSS of a worker: $big_worker kB writing $BLOCKS MiB vs $small_worker kB writing $((BLOCKS / 8)) MiB (not flat)"

# oneshot-ps stayed responsive
n=$(wc -l <"$SANDBOX/probe.big")
[ "$n" -ge 4 ] || fail "oneshot-ps was probed only $n times during the storm"
slow=$(awk '$1 >= 1000 || $2 != 0' "$SANDBOX/probe.big")
[ -z "$slow" ] || fail "oneshot-ps slow or failing during the storm (ms status mode): $(echo $slow | head -c 300)"
note "oneshot-ps during the storm: $n calls, slowest $(sort -n "$SANDBOX/probe.big" | tail -n 1 | cut -d' ' -f1) ms"
