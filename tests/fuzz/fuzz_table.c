/*
 * fuzz_table.c: libFuzzer target for the reader side of the run table:
 * os_table_validate (shm/validate.c) and, on a table it accepts, everything a
 * reader does next without a lock: os_slot_snapshot and
 * os_slot_snapshot_command (shm/slot.c), os_slot_command and os_table_logdir
 * (shm/table.c), then the whole copy oneshot-ps makes, os_run_load and
 * os_run_task (shm/reader_snap.c).
 *
 * Each input is a whole table image.  It is copied into a fresh malloc'd
 * buffer of exactly its size (malloc's alignment, at least 8 as the header's
 * 64-bit fields need), so AddressSanitizer reports a read even one byte past
 * the end.  When the validator accepts the image, every slot is snapshotted,
 * every command and the log directory are located, checked to lie in the
 * string area and inside the buffer, and every byte of them is read (hashed),
 * so an accessor that trusted a field the validator did not check shows up as
 * an ASan report or a failed check here (abort()).  Afterwards the buffer
 * must be unchanged: readers never write to a table.
 *
 * A queue's table (OS_RUN_QUEUE) is read the same way, with its own
 * promises: every slot's command in its own box, ids in no order but below
 * next_id, and the copy holding each used slot once, in id order, with the
 * command of the same moment.  Such a table is at least a header, a slot, a
 * page and a 128 KiB box, past -max_len and nearly all zeros (only the
 * pages commands touch are ever written), so an input whose header says
 * OS_RUN_QUEUE and a table_size past the input's own size, up to
 * QUEUE_IMAGE_MAX, is read a second time as the start of such a table: copied
 * into a zeroed buffer of exactly table_size bytes (queue_pass).
 *
 * Random bytes almost never get past the header checks: the fuzzer is meant
 * to start from the seed corpus that make_seeds.c writes (real tables from
 * os_table_create, plus damaged ones), and for queues the inputs in
 * regress/table/queue-* (the first pages of real queues' tables).  See
 * tests/fuzz/README.md.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "shm/reader.h"
#include "shm/slot.h"
#include "shm/table.h"
#include "tests/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The largest queue image the second pass builds: 15 slots. */
#define QUEUE_IMAGE_MAX (2u << 20)

/* Where the hashes go, so the reads cannot be optimised away. */
static volatile uint64_t sink;

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * UINT64_C(0x100000001b3);
	return h;
}

/* [p, p+n) lies within [lo, hi). */
static int inside(const char *p, size_t n, const char *lo, const char *hi)
{
	return p >= lo && p <= hi && n <= (size_t)(hi - p);
}

/* T as a reader holds a mapping of BASE (SIZE bytes).  Its descriptor is
 * only asked for the run's lock (os_table_is_live): an empty memfd, which
 * nobody locks, so the run reads as not alive. */
static void table_of(const char *base, size_t size, struct os_table *t)
{
	static int lock_fd = -1;

	if (lock_fd < 0)
		lock_fd = memfd_create("fuzz_table", MFD_CLOEXEC);
	CHECK(lock_fd >= 0);
	memset(t, 0, sizeof(*t));
	t->hdr = (struct os_header *)base;
	t->slots = (struct os_slot *)(base + OS_HEADER_SIZE);
	t->size = size;
	t->fd = lock_fd;
	t->events_fd = -1;
}

/*
 * What oneshot-ps does with a table os_table_validate accepted: the copy
 * (counts only, then every task) and a lookup of each task by id.  Nothing
 * writes the buffer, so the copy can neither be stale nor torn: it is made,
 * or refused as invalid (-EPROTO, a field the validator leaves to readers,
 * such as a state word out of range), and what it holds is what the buffer
 * holds.  A slot left odd (a writer that died inside its section) costs a
 * lookup its whole retry budget; lookups are made only when no slot is odd.
 */
static void load(const char *base, size_t size, int odd_slots)
{
	const struct os_header *h = (const struct os_header *)base;
	int queue = (h->flags & OS_RUN_QUEUE) != 0;
	uint32_t slots = h->slot_count, sum = 0;
	struct os_table t;
	struct os_gen gen;
	struct os_run r;
	const char *why = NULL;
	int err;

	table_of(base, size, &t);
	gen.start_real_ns = h->start_real_ns;
	gen.start_mono_ns = h->start_mono_ns;
	gen.supervisor_pid = h->supervisor_pid;

	err = os_run_load(&t, 0, "fuzz", &gen, OS_LOAD_COUNTS, &r, &why);
	CHECK(err == 0 || (err == -EPROTO && why != NULL && why[0] != '\0'));
	if (err == 0) {
		CHECK(r.alive == 0 && r.queue == queue && r.ntasks == 0 && r.tasks == NULL);
		CHECK(r.total == os_table_tasks(h));
		for (int st = 0; st < OS_STATE_COUNT; st++)
			sum += r.counts[st];
		/* A batch counts its slots' state words; a queue copies its
		 * header's counts, whose sum is its total. */
		CHECK(sum == r.total);
	}
	os_run_free(&r);

	err = os_run_load(&t, 0, "fuzz", &gen, OS_LOAD_TASKS, &r, &why);
	CHECK(err == 0 || (err == -EPROTO && why != NULL && why[0] != '\0'));
	if (err == 0) {
		CHECK(r.queue == queue && r.slots == slots);
		CHECK(queue ? r.ntasks <= slots : r.ntasks == slots && r.total == slots);
		CHECK(r.ntasks == 0 || r.tasks != NULL);
		if (queue)
			CHECK(r.next_id == atomic_load(&((struct os_header *)h)->next_id));
		for (uint32_t k = 0; k < r.ntasks; k++) {
			const struct os_task *task = &r.tasks[k];
			const struct os_slot *s;

			CHECK(task->slot < slots && task->logged == 0);
			CHECK(task->v.state < OS_STATE_COUNT);
			CHECK(task->cmd_pos <= r.strings_len &&
			      task->cmd_len < r.strings_len - task->cmd_pos);
			s = os_table_slot(&t, task->slot);
			CHECK(task->v.id == s->id);
			CHECK(queue || task->slot == k);
			CHECK(queue && task->busy ? task->cmd_len == 0 : task->cmd_len == s->cmd_len);
			/* In id order: strictly for a batch; a queue's validator
			 * does not look for the same id in two slots. */
			if (k)
				CHECK(queue ? task->v.id >= task[-1].v.id
					    : task->v.id > task[-1].v.id);
			if (queue) {
				CHECK(task->v.id != 0);
				/* Its own command, from its own box, NUL after. */
				CHECK(memcmp(r.strings + task->cmd_pos, base + s->cmd_off,
					     task->cmd_len) == 0);
				CHECK(r.strings[task->cmd_pos + task->cmd_len] == '\0');
			}
		}
		if (queue) {
			uint32_t used = 0;

			/* every slot with an id: one whose writer is inside its
			 * section is shown busy, not left out */
			for (uint32_t i = 0; i < slots; i++)
				used += os_table_slot(&t, i)->id != 0;
			CHECK(r.ntasks == used);
		}
		if (odd_slots == 0) {
			for (uint32_t k = 0; k < r.ntasks; k++) {
				struct os_slot_view v;
				uint32_t index = UINT32_MAX;

				CHECK(os_run_task(&t, &gen, r.tasks[k].v.id, &v, &index) == 0);
				CHECK(v.id == r.tasks[k].v.id && index < slots);
				CHECK(os_table_slot(&t, index)->id == v.id);
			}
		}
	}
	os_run_free(&r);
}

static void walk(const char *base, size_t size)
{
	const struct os_header *h = (const struct os_header *)base;
	const char *end = base + size, *strings;
	struct os_table t;
	const char *dir;
	uint64_t hash = UINT64_C(0xcbf29ce484222325);
	int odd_seen = 0;

	memset(&t, 0, sizeof(t));
	t.hdr = (struct os_header *)base;
	t.slots = (struct os_slot *)(base + OS_HEADER_SIZE);
	t.size = size;
	t.fd = -1;
	t.events_fd = -1;

	/* What the validator promised about the header. */
	CHECK(size >= OS_HEADER_SIZE);
	CHECK(h->slot_count >= 1 && h->slot_count <= OS_SLOTS_MAX);
	CHECK(h->table_size == size);
	CHECK(h->strings_off == OS_HEADER_SIZE + (uint64_t)h->slot_count * OS_SLOT_SIZE);
	CHECK(h->strings_off <= size && h->strings_size == size - h->strings_off);
	CHECK(memchr(h->name, '\0', sizeof(h->name)) != NULL);
	hash = hash_bytes(hash, h->name, strlen(h->name));
	strings = base + h->strings_off;

	dir = os_table_logdir(&t);
	/* The validator bounds the log directory; only its NUL is left to
	 * os_table_logdir, which must then find it. */
	CHECK(inside(base + h->logdir_off, (size_t)h->logdir_len + 1, strings, end));
	CHECK((dir != NULL) == (base[h->logdir_off + h->logdir_len] == '\0'));
	if (dir) {
		size_t n = strlen(dir);

		CHECK(dir == base + h->logdir_off);
		CHECK(inside(dir, n + 1, strings, end));
		CHECK(n <= h->logdir_len);
		hash = hash_bytes(hash, dir, n + 1);
	}

	for (uint32_t i = 0; i < h->slot_count; i++) {
		const struct os_slot *s = os_table_slot(&t, i);
		struct os_slot_view v;
		const char *cmd;
		uint32_t len = UINT32_MAX;
		uint32_t seq;
		int rc;

		CHECK(inside((const char *)s, OS_SLOT_SIZE, base + OS_HEADER_SIZE, strings));
		CHECK(s->id > (i ? os_table_slot(&t, i - 1)->id : 0));

		/*
		 * Nobody writes the copy, so an even sequence number must give a
		 * snapshot at once and an odd one (a writer that died inside its
		 * section) -EAGAIN after the bounded retries.  Those retries yield
		 * thousands of times: exercise them on one odd slot per input and
		 * read the others' fields directly, which is all they would do.
		 */
		seq = atomic_load_explicit(&((struct os_slot *)s)->seq, memory_order_relaxed);
		if (!(seq & 1u) || !odd_seen) {
			memset(&v, 0xa5, sizeof(v));
			rc = os_slot_snapshot(s, &v);
			if (seq & 1u) {
				odd_seen = 1;
				CHECK(rc == -EAGAIN);
			} else {
				CHECK(rc == 0);
				CHECK(v.id == s->id);
				CHECK(memchr(v.message, '\0', sizeof(v.message)) != NULL);
				hash = hash_bytes(hash, &v, sizeof(v));
				hash = hash_bytes(hash, v.message, strlen(v.message));
			}
		} else {
			hash = hash_bytes(hash, s, OS_SLOT_SIZE);
		}

		cmd = os_slot_command(&t, s, &len);
		/* The validator checked exactly these bounds for every slot. */
		CHECK(cmd != NULL);
		CHECK(cmd == base + s->cmd_off);
		CHECK(len == s->cmd_len && len <= OS_CMD_MAX);
		/* The command and the byte after it (its NUL in a real table). */
		CHECK(inside(cmd, (size_t)len + 1, strings, end));
		hash = hash_bytes(hash, cmd, (size_t)len + 1);
	}
	sink = hash;
	load(base, size, odd_seen);
}

/* walk() for a queue's table: the promises validate_queue makes. */
static void walk_queue(const char *base, size_t size)
{
	const struct os_header *h = (const struct os_header *)base;
	const char *end = base + size, *strings;
	uint32_t next_id = atomic_load(&((struct os_header *)h)->next_id);
	uint64_t hash = UINT64_C(0xcbf29ce484222325);
	char *copy = malloc(OS_CMD_MAX + 1);
	struct os_table t;
	const char *dir;
	int odd_seen = 0;

	CHECK(copy != NULL);
	table_of(base, size, &t);
	CHECK(size >= OS_HEADER_SIZE && h->table_size == size);
	CHECK(h->flags & OS_RUN_QUEUE);
	CHECK(h->slot_count >= 1 && h->slot_count <= OS_QUEUE_SIZE_MAX);
	CHECK(h->strings_off == OS_HEADER_SIZE + (uint64_t)h->slot_count * OS_SLOT_SIZE);
	CHECK(h->logdir_off == h->strings_off);
	CHECK(h->strings_size == os_queue_logdir_room(h->logdir_len) +
				 (uint64_t)h->slot_count * OS_QUEUE_BOX);
	CHECK(h->strings_off + h->strings_size == size);
	CHECK(memchr(h->name, '\0', sizeof(h->name)) != NULL);
	strings = base + h->strings_off;
	/* The log directory's room comes before the first box. */
	CHECK(os_queue_box_off(h, 0) >= h->logdir_off + h->logdir_len + 1);
	dir = os_table_logdir(&t);
	CHECK((dir != NULL) == (base[h->logdir_off + h->logdir_len] == '\0'));
	if (dir)
		hash = hash_bytes(hash, dir, strlen(dir) + 1);

	for (uint32_t i = 0; i < h->slot_count; i++) {
		const struct os_slot *s = os_table_slot(&t, i);
		const char *box = base + s->cmd_off, *cmd;
		struct os_slot_view v;
		uint32_t len = UINT32_MAX, seq;
		int rc;

		/* Its box is its own, whole inside the string area. */
		CHECK(s->cmd_off == os_queue_box_off(h, i));
		CHECK(inside(box, OS_QUEUE_BOX, strings, end));
		CHECK(s->cmd_len <= OS_CMD_MAX);
		CHECK(s->id == 0 || s->id < next_id);

		seq = atomic_load_explicit(&((struct os_slot *)s)->seq, memory_order_relaxed);
		if (!(seq & 1u) || !odd_seen) {
			memset(&v, 0xa5, sizeof(v));
			memset(copy, 0xa5, 16);
			rc = os_slot_snapshot_command(&t, s, &v, copy, &len);
			if (seq & 1u) {
				odd_seen = 1;
				CHECK(rc == -EAGAIN);
			} else {
				CHECK(rc == 0);
				CHECK(v.id == s->id);
				CHECK(len == s->cmd_len);
				CHECK(memcmp(copy, box, len) == 0 && copy[len] == '\0');
				CHECK(memchr(v.message, '\0', sizeof(v.message)) != NULL);
				hash = hash_bytes(hash, &v, sizeof(v));
			}
		} else {
			odd_seen++;
		}
		cmd = os_slot_command(&t, s, &len);
		CHECK(cmd == box);
		CHECK(len == s->cmd_len);
		hash = hash_bytes(hash, cmd, (size_t)len + 1);
	}
	free(copy);
	sink = hash;
	load(base, size, odd_seen);
}

/* A table os_table_validate accepted, read as its kind of table. */
static void read_valid(const char *base, size_t size)
{
	if (((const struct os_header *)base)->flags & OS_RUN_QUEUE)
		walk_queue(base, size);
	else
		walk(base, size);
}

/*
 * A queue's table whose header os_table_open accepts (it checks no slot:
 * readers check each one as they read it) with a slot os_table_validate
 * refuses: the full copy refuses it too, and looking up any id is safe.
 */
static void bad_slot(const char *base, size_t size)
{
	const struct os_header *h = (const struct os_header *)base;
	struct os_table t;
	struct os_gen gen = { h->start_real_ns, h->start_mono_ns, h->supervisor_pid };
	struct os_slot_view v;
	struct os_run r;
	const char *why = NULL;
	int err;

	table_of(base, size, &t);
	err = os_run_load(&t, 0, "fuzz", &gen, OS_LOAD_TASKS, &r, &why);
	CHECK(err == -EPROTO && why != NULL && why[0] != '\0');
	os_run_free(&r);
	for (uint32_t i = 0; i < h->slot_count && i < 64; i++) {
		uint32_t id = os_table_slot(&t, i)->id;

		err = os_run_task(&t, &gen, id, &v, NULL);
		CHECK(err == 0 || err == -ENOENT || err == -EAGAIN);
		CHECK(err != 0 || v.id == id);
	}
}

/*
 * The input as the first SIZE bytes of a queue's table of table_size bytes
 * (as its header says), the rest zeros.  Nothing to do for an input that
 * is the whole table already (the first pass read it) or that says it is
 * no queue's.
 */
static void queue_pass(const uint8_t *data, size_t size)
{
	struct os_header h;
	const char *why;
	char *image;

	if (size < OS_HEADER_SIZE)
		return;
	memcpy(&h, data, sizeof(h));
	if (!(h.flags & OS_RUN_QUEUE) || h.table_size <= size || h.table_size > QUEUE_IMAGE_MAX)
		return;
	image = calloc(1, (size_t)h.table_size);
	if (!image)
		return;
	memcpy(image, data, size);
	why = os_table_validate(image, (size_t)h.table_size);
	if (why == NULL)
		walk_queue(image, (size_t)h.table_size);
	else if (os_table_validate_open(image, (size_t)h.table_size) == NULL)
		bad_slot(image, (size_t)h.table_size);
	else
		CHECK(why[0] != '\0');
	/* Readers never write to a table. */
	CHECK(memcmp(image, data, size) == 0);
	free(image);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exactly SIZE bytes (1 for an empty input, never read). */
	char *buf = malloc(size ? size : 1);
	const char *why;

	if (!buf)
		return 0;
	CHECK(((uintptr_t)buf & 7u) == 0);
	if (size)
		memcpy(buf, data, size);
	why = os_table_validate(buf, size);
	if (why == NULL)
		read_valid(buf, size);
	else
		CHECK(why[0] != '\0');
	/* Readers never write to a table, not even through the atomics. */
	CHECK(size == 0 || memcmp(buf, data, size) == 0);
	free(buf);
	queue_pass(data, size);
	return 0;
}
