/*
 * slot.c: the seqlock that lets readers copy slots without ever making a
 * writer wait (Boehm's fence-based seqlock, all fields atomics so there is no
 * data race even in C11's terms).
 */
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "shm/slot.h"
#include "shm/util.h"

#define SNAPSHOT_SPINS  64
#define SNAPSHOT_YIELDS 2000

void os_slot_write_begin(struct os_slot *s)
{
	uint32_t seq = atomic_load_explicit(&s->seq, memory_order_relaxed);

	/* An odd value means the previous writer died inside its section:
	 * start a fresh one so readers keep telling "busy" from "done". */
	seq += (seq & 1u) ? 2u : 1u;
	atomic_store_explicit(&s->seq, seq, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
}

void os_slot_write_end(struct os_slot *s)
{
	uint32_t seq = atomic_load_explicit(&s->seq, memory_order_relaxed);

	atomic_store_explicit(&s->seq, seq + 1u, memory_order_release);
}

void os_slot_set_message(struct os_slot *s, const char *text)
{
	uint64_t words[OS_MESSAGE_WORDS] = {0};
	size_t len = strnlen(text, OS_MESSAGE_MAX - 1);

	memcpy(words, text, len);
	for (unsigned i = 0; i < OS_MESSAGE_WORDS; i++)
		atomic_store_explicit(&s->message[i], words[i], memory_order_relaxed);
}

void os_slot_set_end(struct os_slot *s, const char *message)
{
	if (message)
		os_slot_set_message(s, message);
	atomic_store_explicit(&s->end_real_ns, os_now_real_ns(), memory_order_relaxed);
	atomic_store_explicit(&s->end_mono_ns, os_now_mono_ns(), memory_order_relaxed);
}

static void copy_fields(const struct os_slot *s, struct os_slot_view *v)
{
	uint64_t words[OS_MESSAGE_WORDS];

#define LOAD(f) atomic_load_explicit(&s->f, memory_order_relaxed)
	v->state = LOAD(state);
	v->reason = LOAD(reason);
	v->attempt = LOAD(attempt);
	v->worker_pid = LOAD(worker_pid);
	v->task_pid = LOAD(task_pid);
	v->exit_code = LOAD(exit_code);
	v->term_signal = LOAD(term_signal);
	v->start_real_ns = LOAD(start_real_ns);
	v->end_real_ns = LOAD(end_real_ns);
	v->start_mono_ns = LOAD(start_mono_ns);
	v->end_mono_ns = LOAD(end_mono_ns);
	v->output_mono_ns = LOAD(output_mono_ns);
	v->output_bytes = LOAD(output_bytes);
	v->winsize = LOAD(winsize);
	v->steer_key[0] = LOAD(steer_key[0]);
	v->steer_key[1] = LOAD(steer_key[1]);
	v->waiting_mono_ns = LOAD(waiting_mono_ns);
	v->waiting_why = LOAD(waiting_why);
	for (unsigned i = 0; i < OS_MESSAGE_WORDS; i++)
		words[i] = LOAD(message[i]);
#undef LOAD
	memcpy(v->message, words, sizeof(v->message));
	v->message[sizeof(v->message) - 1] = '\0';
}

/* The snapshot loop; with CMD, the command too (a queue's slot gets a new
 * command when it is reused, inside the write section). */
static int snapshot(const struct os_slot *s, struct os_slot_view *out, const char *base,
		    char *cmd, uint32_t *cmd_len)
{
	/* The cast drops const only for the atomic loads, which never write. */
	struct os_slot *slot = (struct os_slot *)s;

	for (unsigned tries = 0; tries < SNAPSHOT_SPINS + SNAPSHOT_YIELDS; tries++) {
		uint32_t before = atomic_load_explicit(&slot->seq, memory_order_acquire);

		if (!(before & 1u)) {
			copy_fields(slot, out);
			/* The id changes only when a queue's slot is reused,
			 * inside a write section: read it inside too. */
			out->id = __atomic_load_n(&slot->id, __ATOMIC_RELAXED);
			if (cmd) {
				uint32_t len = __atomic_load_n(&slot->cmd_len, __ATOMIC_RELAXED);

				*cmd_len = len > OS_CMD_MAX ? OS_CMD_MAX : len;
				memcpy(cmd, base + slot->cmd_off, *cmd_len);
				cmd[*cmd_len] = '\0';
			}
			atomic_thread_fence(memory_order_acquire);
			if (atomic_load_explicit(&slot->seq, memory_order_relaxed) == before)
				return 0;
		}
		if (tries >= SNAPSHOT_SPINS)
			sched_yield();
	}
	return -EAGAIN;
}

int os_slot_snapshot(const struct os_slot *s, struct os_slot_view *out)
{
	return snapshot(s, out, NULL, NULL, NULL);
}

int os_slot_snapshot_command(const struct os_table *t, const struct os_slot *s,
			     struct os_slot_view *out, char *cmd, uint32_t *len)
{
	return snapshot(s, out, (const char *)t->hdr, cmd, len);
}
