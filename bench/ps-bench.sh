#!/bin/bash
# bench/ps-bench.sh: how long `oneshot-ps -n NAME --json > /dev/null` takes on
# a table of 100,000 tasks, next to `ps -e > /dev/null` on the same machine.
#
# Usage: bench/ps-bench.sh [TASKS] [ROUNDS]      (defaults 100000 and 15)
# From a build directory, or with ONESHOT_BUILDDIR (where ps/oneshot-ps
# and shm/libshm.a are) and ONESHOT_SRCDIR set.  The table is made by
# bench/mktable.c, built here against the table library (os_table_create): every task
# COMPLETED with times, output bytes and a command line, then left DONE; it
# is removed at the end.  Nothing is written outside a private temp dir and
# /dev/shm.
set -u
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
TASKS=${1:-100000}
ROUNDS=${2:-15}
SRCDIR=${ONESHOT_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILDDIR=${ONESHOT_BUILDDIR:-$(pwd)}
PS="$BUILDDIR/ps/oneshot-ps"
LIBSHM="$BUILDDIR/shm/libshm.a"
for f in "$PS" "$LIBSHM"; do
	[ -e "$f" ] || { echo "ps-bench: $f not found (run from a build directory or set ONESHOT_BUILDDIR)" >&2; exit 2; }
done
CC=${CC:-cc}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ps-bench.XXXXXX") || exit 2
NAME="ps-bench-$$"
cleanup() {
	rm -f "/dev/shm/oneshot.$(id -u).$NAME"
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$CC" -std=gnu11 -O2 -D_GNU_SOURCE -I"$SRCDIR/shm" -o "$TMP/mktable" "$SRCDIR/bench/mktable.c" "$LIBSHM" -lm -lpthread ||
	{ echo "ps-bench: cannot build the table helper" >&2; exit 2; }
"$TMP/mktable" "$NAME" "$TASKS" "$TMP" || exit 2

# ms COMMAND...: wall milliseconds of one run (output to /dev/null)
ms() {
	local t0=$EPOCHREALTIME t1
	"$@" >/dev/null 2>&1 || { echo "ps-bench: $* failed" >&2; exit 1; }
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", (b - a) * 1000 }'
}
# stats: "median min" of the numbers on stdin
stats() {
	sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f %.2f\n", m, v[1] }'
}

"$PS" -n "$NAME" --json >/dev/null || exit 1 # warm the page cache
bytes=$("$PS" -n "$NAME" --json | wc -c)
read -r ps_med ps_min < <(for i in $(seq "$ROUNDS"); do ms "$PS" -n "$NAME" --json; done | stats)
read -r sys_med sys_min < <(for i in $(seq "$ROUNDS"); do ms ps -e; done | stats)
procs=$(ps -e --no-headers | wc -l)
table=$(stat -c %s "/dev/shm/oneshot.$(id -u).$NAME")

echo "oneshot-ps -n NAME --json > /dev/null, $TASKS tasks ($((table / 1048576)) MiB table, $((bytes / 1048576)) MiB JSON):"
echo "    median $ps_med ms, best $ps_min ms over $ROUNDS runs"
echo "ps -e > /dev/null, $procs processes:"
echo "    median $sys_med ms, best $sys_min ms over $ROUNDS runs"
awk -v a="$ps_med" -v b="$sys_med" 'BEGIN { printf "ratio (median oneshot-ps / median ps -e): %.1f\n", a / b }'
