/*
 * validate.c: checks that a mapping is a table this build can read.  Pure:
 * it reads only within [base, base+size) and is the fuzzing target for the
 * reader side.
 */
#include <string.h>

#include "shm/table.h"

size_t os_table_size_for(uint32_t slot_count, uint64_t strings_size)
{
	uint64_t slots = (uint64_t)slot_count * OS_SLOT_SIZE;
	uint64_t total = OS_HEADER_SIZE + slots;

	if (slot_count > OS_SLOTS_MAX || strings_size > (UINT64_C(1) << 40))
		return 0;
	total += strings_size;
	if (total > SIZE_MAX)
		return 0;
	return (size_t)total;
}

static int range_ok(uint64_t off, uint64_t len, uint64_t lo, uint64_t hi)
{
	return off >= lo && off <= hi && len <= hi - off;
}

static const char *validate_header(const struct os_header *h, size_t size)
{
	if (atomic_load_explicit(&((struct os_header *)h)->magic, memory_order_acquire) !=
	    OS_TABLE_MAGIC)
		return "bad magic (not a oneshot table, or still being created)";
	if (h->version != OS_TABLE_VERSION)
		return "unsupported layout version";
	if (h->header_size != OS_HEADER_SIZE || h->slot_size != OS_SLOT_SIZE)
		return "header or slot size does not match this build";
	if (h->slot_count > OS_SLOTS_MAX) /* 0: an empty shard */
		return "slot count out of range";
	if (h->cap == 0 || h->cap > OS_CAP_MAX)
		return "cap out of range";
	if (h->table_size != size)
		return "table size does not match the object size";
	if (h->strings_off != OS_HEADER_SIZE + (uint64_t)h->slot_count * OS_SLOT_SIZE ||
	    !range_ok(h->strings_off, h->strings_size, 0, size) ||
	    os_table_size_for(h->slot_count, h->strings_size) != size)
		return "string area out of bounds";
	if (memchr(h->name, '\0', sizeof(h->name)) == NULL)
		return "run name not terminated";
	if (!range_ok(h->logdir_off, (uint64_t)h->logdir_len + 1, h->strings_off, size))
		return "log directory out of bounds";
	return NULL;
}

/*
 * A queue's slots are reused while readers look: an id may change at any
 * moment (inside a write section), so only what holds for every slot at
 * every moment is checked here: its box is its own, its command fits the
 * box, its id is one already given out.  Readers check again what they
 * copy (reader_snap.c).
 */
static const char *validate_queue_header(const struct os_header *h)
{
	if (h->slot_count == 0 || h->slot_count > OS_QUEUE_SIZE_MAX)
		return "queue size out of range";
	if (h->logdir_off != h->strings_off ||
	    h->strings_size != os_queue_logdir_room(h->logdir_len) +
				(uint64_t)h->slot_count * OS_QUEUE_BOX)
		return "queue string area out of bounds";
	return NULL;
}

const char *os_queue_slot_check(const struct os_header *h, uint32_t i)
{
	const struct os_slot *s = (const struct os_slot *)
		((const char *)h + OS_HEADER_SIZE + (size_t)i * OS_SLOT_SIZE);
	uint32_t next_id = atomic_load_explicit(&((struct os_header *)h)->next_id,
						memory_order_acquire);
	uint32_t id = __atomic_load_n(&s->id, __ATOMIC_RELAXED);

	if (s->cmd_off != os_queue_box_off(h, i) ||
	    __atomic_load_n(&s->cmd_len, __ATOMIC_RELAXED) > OS_CMD_MAX)
		return "command out of bounds";
	if (id >= next_id && id != 0)
		return "slot id not given out yet";
	return NULL;
}

static const char *validate_queue(const struct os_header *h)
{
	const char *why = validate_queue_header(h);

	for (uint32_t i = 0; !why && i < h->slot_count; i++)
		why = os_queue_slot_check(h, i);
	return why;
}

const char *os_table_validate_open(const void *base, size_t size)
{
	const struct os_header *h = base;
	const char *why;

	if (size < OS_HEADER_SIZE)
		return "truncated: smaller than a header";
	why = validate_header(h, size);
	if (why || !(h->flags & OS_RUN_QUEUE))
		return why ? why : os_table_validate(base, size);
	/* A queue's slots are checked one by one as they are read: touching
	 * all of them here made every `oneshot-ctl add` cost O(--queue-size)
	 * (35 ms at a million slots), for a header it alone needs. */
	return validate_queue_header(h);
}

const char *os_table_validate(const void *base, size_t size)
{
	const struct os_header *h = base;
	const char *why;

	if (size < OS_HEADER_SIZE)
		return "truncated: smaller than a header";
	why = validate_header(h, size);
	if (why)
		return why;
	if (h->flags & OS_RUN_QUEUE)
		return validate_queue(h);
	uint32_t prev_id = 0;

	for (uint32_t i = 0; i < h->slot_count; i++) {
		const struct os_slot *s = (const struct os_slot *)
			((const char *)base + OS_HEADER_SIZE + (size_t)i * OS_SLOT_SIZE);
		/* Task numbers, strictly increasing: 1..N for a whole task list,
		 * a subset of them for a resumed run. */
		if (s->id <= prev_id)
			return "slot id out of sequence";
		prev_id = s->id;
		if (!range_ok(s->cmd_off, (uint64_t)s->cmd_len + 1, h->strings_off, size) ||
		    s->cmd_len > OS_CMD_MAX)
			return "command out of bounds";
	}
	return NULL;
}
