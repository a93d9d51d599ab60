#!/bin/bash
# ps-robust.sh: oneshot-ps never crashes on a bad table and never slows a run.
# - random bytes, an empty object, the right magic over garbage, a real table
#   truncated, a wrong mode, a FIFO: exit 3 with one line on stderr;
# - a listing with one such table still lists the others, and exits 3;
# - a table truncated and rewritten in place (what a new run of the same name
#   does) over and over while oneshot-ps reads it: every read exits 0 or 3,
#   never with a signal;
# - readers stopped with SIGSTOP at random points of continuous reading do not
#   slow a run of 1500 short tasks (compared with the same run unobserved).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/ps-lib.sh"

# expect_invalid WHAT: -n, --json and --wait on $RUN all exit 3, one line.
expect_invalid() {
	local args
	for args in "" "--json" "--wait 1" "-f"; do
		ps_run -n "$RUN" $args
		assert_eq 3 "$PS_RC" "$1: -n $args exit status"
		assert_eq 1 "$(wc -l <"$SANDBOX/ps.err" | tr -d ' ')" "$1: -n $args: one line on stderr"
		assert_match "invalid table" "$PS_ERR" "$1: -n $args: message"
	done
}

new_run junk
head -c 10000 /dev/urandom >"$SHM"
chmod 0600 "$SHM"
expect_invalid "random bytes"
: >"$SHM"
expect_invalid "empty object"
head -c 3 /dev/urandom >"$SHM"
expect_invalid "3 random bytes"
{ printf 'ONESHOT1'; head -c 20000 /dev/urandom; } >"$SHM"
expect_invalid "magic then random bytes"
python3 - "$SHM" <<'PY'
import struct, sys, os
# a header that passes the first checks, with a slot count far past the end
hdr = bytearray(os.urandom(4096))
struct.pack_into("<QIIIIIi", hdr, 0, 0x31544f4853454e4f, 1, 4096, 256, 10000000, 4, 1)
open(sys.argv[1], "wb").write(hdr)
PY
expect_invalid "slot count past the end"

# a FIFO under a run's name (anyone can create names in /dev/shm) is refused
# at once, never opened (a read-only open of a FIFO blocks)
new_run fifo
mkfifo -m 0600 "$SHM"
PS_LIMIT=10 ps_run -n "$RUN"
assert_eq 3 "$PS_RC" "FIFO under the run's name: exit status"
assert_match "not a regular file" "$PS_ERR" "FIFO under the run's name: message"
PS_LIMIT=10 ps_run
assert_eq 3 "$PS_RC" "list with a FIFO under a run's name: exit status"
rm -f "$SHM"
new_run junk

# a listing goes on past the bad table
new_run good
printf 'true\n' >"$SANDBOX/one"
supervise -n "$RUN" -L "$LOG" "$SANDBOX/one" || fail "the good run failed"
ps_run
assert_eq 3 "$PS_RC" "list with one invalid table: exit status"
assert_match "^$RUN " "$(grep "^$RUN " "$SANDBOX/ps.out")" "list with one invalid table: the good run is listed"
assert_match "invalid|bad magic|out of" "$PS_ERR" "list with one invalid table: warning"

# a real table, truncated or with a wrong mode
GOOD=$RUN
GOOD_SHM=$SHM
new_run cut
cp "$GOOD_SHM" "$SHM"
chmod 0600 "$SHM"
RUN_SAVE=$RUN
# the copy carries the good run's name inside, which is fine: the object's
# name is what is read
ps_run -n "$RUN"
assert_eq 0 "$PS_RC" "copy of a valid table"
truncate -s 5000 "$SHM"
expect_invalid "truncated to 5000 bytes"
truncate -s 100 "$SHM"
expect_invalid "truncated to 100 bytes"
cp "$GOOD_SHM" "$SHM"
chmod 0644 "$SHM"
expect_invalid "mode 0644"

# --- rewritten in place under the reader ----------------------------------
new_run big
for i in $(seq 1 5000); do echo "sleep 60 # $i"; done >"$SANDBOX/big"
detach -j 1 -n "$RUN" -L "$LOG" "$SANDBOX/big"
kill -KILL "$SUP_PID"
wait_gone "$SUP_PID" 10
wait_for '[ "$(psx -n "$RUN" 2>/dev/null | sed -n "1s/.*  \(dead\).*/\1/p")" = dead ]' 15 ||
	fail "big run not dead after its supervisor was killed"
cp "$SHM" "$SANDBOX/big.table"
(
	end=$((SECONDS + 30))
	while [ ! -e "$SANDBOX/stop-flipper" ] && [ $SECONDS -lt $end ]; do
		: >"$SHM"
		cat "$SANDBOX/big.table" >"$SHM"
	done
) &
flipper=$!
declare -A seen=()
for i in $(seq 1 150); do
	case $((i % 3)) in
	0) psx -n "$RUN" --json >/dev/null 2>>"$SANDBOX/flip.err" ;;
	1) psx -n "$RUN" >/dev/null 2>>"$SANDBOX/flip.err" ;;
	2) psx >/dev/null 2>>"$SANDBOX/flip.err" ;;
	esac
	seen[$?]=1
done
touch "$SANDBOX/stop-flipper"
wait "$flipper"
for st in "${!seen[@]}"; do
	[ "$st" = 0 ] || [ "$st" = 3 ] || fail "a read of a table rewritten under it exited $st"
done
note "exit statuses while rewritten: ${!seen[*]}"
if grep -v -E 'invalid table|oneshot-ps: warning: run ' "$SANDBOX/flip.err" | grep -q .; then
	fail "unexpected messages: $(grep -v -E 'invalid table|warning: run ' "$SANDBOX/flip.err" | sort -u | head -3)"
fi

# --- stopped readers do not slow a run -------------------------------------
for i in $(seq 1 1500); do echo true; done >"$SANDBOX/short"
new_run base
t0=$(now_us)
supervise -j 4 -n "$RUN" -L "$LOG" "$SANDBOX/short" || fail "baseline run failed"
base_ms=$(ms_since "$t0")

new_run stopped
t0=$(now_us)
detach -j 4 -n "$RUN" -L "$LOG" "$SANDBOX/short"
readers=()
for i in 1 2 3 4 5 6; do
	"$PS" -n "$RUN" -w 0.001 >/dev/null 2>&1 &
	readers+=($!)
done
for p in "${readers[@]}"; do
	sleep "0.0$((RANDOM % 9 + 1))"
	kill -STOP "$p"
done
wait_gone "$SUP_PID" 60
run_ms=$(ms_since "$t0")
stopped=0
for p in "${readers[@]}"; do
	[ "$(proc_stat "$p" | cut -d' ' -f1)" = T ] && stopped=$((stopped + 1))
	kill -KILL "$p" 2>/dev/null
	kill -CONT "$p" 2>/dev/null
	wait "$p" 2>/dev/null
done
assert_eq 6 "$stopped" "readers still stopped when the run ended"
note "1500 tasks: ${base_ms} ms alone, ${run_ms} ms with 6 stopped readers"
assert_le "$run_ms" $((base_ms * 2 + 3000)) "run time with stopped readers (ms; alone: $base_ms)"
assert_eq "0 0 0 0 1500 0" "$(ps_counts "$RUN")" "the observed run completed every task"
ps_run -n "$RUN" --wait 5
assert_eq 0 "$PS_RC" "the observed run's exit status"
