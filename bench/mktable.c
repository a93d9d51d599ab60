/*
 * mktable.c: a finished run table for the inspection benchmarks.
 *
 *   mktable NAME TASKS LOGDIR
 *
 * Creates run NAME's table with the project's table library (shm/libshm.a,
 * os_table_create) holding TASKS tasks, every one COMPLETED with times,
 * output bytes and a command line, and the run DONE; the table stays in
 * /dev/shm when mktable exits (remove it with oneshot-ps --rm NAME).  Used
 * by bench/ps-bench.sh and scenario 5 of bench/run.  Not installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "shm/slot.h"
#include "shm/state.h"
#include "shm/table.h"
#include "shm/util.h"

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
