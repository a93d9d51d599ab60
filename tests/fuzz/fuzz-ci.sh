#!/bin/sh
# fuzz-ci.sh: the bounded fuzzing run behind "make fuzz-ci".
#
#   fuzz-ci.sh SRCDIR BUILDDIR SECONDS
#
# SRCDIR is tests/fuzz in the source tree (regress/, *.dict; read only),
# BUILDDIR is tests/fuzz in the build tree, holding the binaries that
# "make fuzz" built; everything written goes there: seeds/ (from make_seeds),
# corpus/ (what the fuzzers find, kept between runs), artifacts/ (crashes)
# and one log per target.  For each target it
#   1. runs every file of SRCDIR/regress/TARGET/ once (past crashes), then
#   2. fuzzes for SECONDS over corpus/TARGET, seeds/TARGET and the regression
#      inputs, with -max_len suited to the target.
# Any crash, sanitizer report, leak, timeout or failed check fails the run;
# the input that did it is left in BUILDDIR/artifacts/TARGET/.
# FUZZ_TARGETS in the environment ("merge", "tasklist table"; empty: all)
# runs only those targets.
set -u

if [ $# -ne 3 ]; then
	echo "usage: fuzz-ci.sh SRCDIR BUILDDIR SECONDS" >&2
	exit 2
fi
src=$1 build=$2 seconds=$3
case $seconds in
'' | *[!0-9]*) echo "fuzz-ci: FUZZ_SECONDS must be a whole number, not '$seconds'" >&2; exit 2 ;;
esac

# target:max_len.  Task files reach past OS_CMD_MAX (131071), so both sides
# of the line-length limit are reachable; tables up to 64 KiB hold ~240 slots;
# a summary.json and a job log of a few dozen lines fit in 16 KiB; a
# steering record is 16 bytes, so 64 covers every wrong length around it.
targets="tasklist:140000 table:65536 merge:16384 steer:64"
common="-timeout=10 -rss_limit_mb=2048 -print_final_stats=1"
if [ -n "${FUZZ_TARGETS:-}" ]; then
	all=$targets targets=
	for want in $FUZZ_TARGETS; do
		found=
		for t in $all; do
			[ "${t%%:*}" = "$want" ] && targets="$targets $t" found=1
		done
		if [ -z "$found" ]; then
			echo "fuzz-ci: no target '$want' (FUZZ_TARGETS)" >&2
			exit 2
		fi
	done
fi

rm -rf "$build/seeds" || exit 1
if ! "$build/make_seeds" "$build/seeds"; then
	echo "fuzz-ci: make_seeds failed" >&2
	exit 1
fi

passed=0 failed=0
for t in $targets; do
	name=${t%%:*} len=${t#*:}
	bin=$build/fuzz_$name
	log=$build/fuzz-$name.log
	arts=$build/artifacts/$name
	mkdir -p "$build/corpus/$name" "$arts" || exit 1

	# 1. Regression inputs, each run once.
	set --
	if [ -d "$src/regress/$name" ]; then
		for f in "$src/regress/$name"/*; do
			[ -f "$f" ] && set -- "$@" "$f"
		done
	fi
	if [ $# -gt 0 ]; then
		if "$bin" $common -artifact_prefix="$arts/" "$@" >"$log.regress" 2>&1; then
			echo "fuzz-ci: $name: $# regression inputs: ok"
			passed=$((passed + 1))
		else
			echo "fuzz-ci: $name: a regression input fails again:" >&2
			tail -n 40 "$log.regress" >&2
			failed=$((failed + 1))
		fi
	fi

	# 2. Bounded fuzzing.
	set -- "$build/corpus/$name" "$build/seeds/$name"
	[ -d "$src/regress/$name" ] && set -- "$@" "$src/regress/$name"
	if "$bin" $common -max_total_time="$seconds" -max_len="$len" \
		-dict="$src/$name.dict" -artifact_prefix="$arts/" "$@" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
		cov=$(sed -n 's/^#[0-9]*[[:space:]]*DONE[[:space:]]*cov: \([0-9]*\) ft: \([0-9]*\).*/\1 edges, \2 features/p' "$log")
		echo "fuzz-ci: $name: ${seconds}s, ${runs:-?} runs, ${rate:-?} exec/s, coverage ${cov:-?}: no crash"
		passed=$((passed + 1))
	else
		echo "fuzz-ci: $name: the fuzzer found a failure (log: $log):" >&2
		grep -v '^#[0-9]' "$log" | tail -n 60 >&2
		echo "fuzz-ci: the input is in $arts/; once fixed, add it to" \
			"tests/fuzz/regress/$name/ (see tests/fuzz/README.md)" >&2
		failed=$((failed + 1))
	fi
done

echo "fuzz-ci: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
