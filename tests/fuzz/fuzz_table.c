/*
 * fuzz_table.c: libFuzzer target for the reader side of the run table:
 * os_table_validate (shm/validate.c) and, on a table it accepts, everything a
 * reader does next without a lock: os_slot_snapshot (shm/slot.c),
 * os_slot_command and os_table_logdir (shm/table.c).
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
 * Random bytes almost never get past the header checks: the fuzzer is meant
 * to start from the seed corpus that make_seeds.c writes (real tables from
 * os_table_create, plus damaged ones).  See tests/fuzz/README.md.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shm/slot.h"
#include "shm/table.h"
#include "tests/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


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
		walk(buf, size);
	else
		CHECK(why[0] != '\0');
	/* Readers never write to a table, not even through the atomics. */
	CHECK(size == 0 || memcmp(buf, data, size) == 0);
	free(buf);
	return 0;
}
