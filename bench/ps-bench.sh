#!/bin/bash
# bench/ps-bench.sh: how long `oneshot-ps -n NAME --json > /dev/null` takes on
# a table of 100,000 tasks, next to `ps -e > /dev/null` on the same machine.
#
# Usage: bench/ps-bench.sh [TASKS] [ROUNDS]      (defaults 100000 and 15)
# From a build directory, or with ONESHOT_BUILDDIR (where supervisor/oneshot-ps
# and shm/libshm.a are) and ONESHOT_SRCDIR set.  The table is made by a tiny
# helper built here against the table library (os_table_create), every task
# COMPLETED with times, output bytes and a command line, then left DONE; it
# is removed at the end.  Nothing is written outside a private temp dir and
# /dev/shm.
set -u
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
TASKS=${1:-100000}
ROUNDS=${2:-15}
SRCDIR=${ONESHOT_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILDDIR=${ONESHOT_BUILDDIR:-$(pwd)}
PS="$BUILDDIR/supervisor/oneshot-ps"
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

cat >"$TMP/mktable.c" <<'C'
/* mktable NAME TASKS LOGDIR: a DONE table of TASKS completed tasks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "slot.h"
#include "state.h"
#include "table.h"
#include "util.h"

int main(int argc, char **argv)
{
	uint32_t n = (uint32_t)strtoul(argv[2], NULL, 10);
	char **cmds = calloc(n, sizeof(*cmds));
	uint32_t *lens = calloc(n, sizeof(*lens));
	struct os_table_spec spec = { 0 };
	struct os_table t;
	int64_t real = os_now_real_ns(), mono = os_now_mono_ns();
	int err;

	for (uint32_t i = 0; i < n; i++) {
		char buf[96];
		int len = snprintf(buf, sizeof(buf), "sleep 60 && echo \"task %u done\" >> out.txt", i + 1);

		cmds[i] = strdup(buf);
		lens[i] = (uint32_t)len;
	}
	spec.name = argv[1];
	spec.slot_count = n;
	spec.cap = 2;
	spec.cmds = (const char *const *)cmds;
	spec.cmd_lens = lens;
	spec.logdir = argv[3];
	spec.idle_after_ms = 30000;
	spec.grace_ms = 5000;
	err = os_table_create(&spec, &t);
	if (err) {
		fprintf(stderr, "mktable: os_table_create: %s\n", strerror(-err));
		return 1;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct os_slot *s = os_table_slot(&t, i);

		os_slot_write_begin(s);
		atomic_store(&s->worker_pid, (int32_t)(100000 + i));
		atomic_store(&s->task_pid, (int32_t)(200000 + i));
		atomic_store(&s->start_real_ns, real - 60000000000LL);
		atomic_store(&s->start_mono_ns, mono - 60000000000LL);
		atomic_store(&s->output_mono_ns, mono - 1000000000LL);
		atomic_store(&s->output_bytes, (uint64_t)i * 37);
		atomic_store(&s->attempt, 1);
		os_slot_transition(&t, s, OS_EV_START, OS_REASON_NONE, NULL);
		os_slot_transition(&t, s, OS_EV_FINISH, OS_REASON_NONE, NULL);
		atomic_store(&s->exit_code, 0);
		atomic_store(&s->end_real_ns, real);
		atomic_store(&s->end_mono_ns, mono);
		os_slot_write_end(s);
	}
	atomic_store(&t.hdr->end_real_ns, real);
	atomic_store(&t.hdr->end_mono_ns, mono);
	atomic_store(&t.hdr->exit_status, 0);
	atomic_store(&t.hdr->run_state, OS_RUN_DONE);
	return 0;
}
C
"$CC" -std=gnu11 -O2 -D_GNU_SOURCE -I"$SRCDIR/shm" -o "$TMP/mktable" "$TMP/mktable.c" "$LIBSHM" -lm -lpthread ||
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
