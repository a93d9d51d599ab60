/*
 * queue.c: the queue wire format (queue.h), one record at a time.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "steer/proto.h"
#include "steer/queue.h"

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void queue_msg_encode(const struct queue_msg *m, unsigned char out[QUEUE_HEAD_SIZE])
{
	out[0] = (unsigned char)QUEUE_MAGIC;
	out[1] = (unsigned char)(QUEUE_MAGIC >> 8);
	out[2] = QUEUE_VERSION;
	out[3] = m->type;
	put32(out + 4, m->a);
	put32(out + 8, m->b);
	put32(out + 12, m->c);
}

/* 1 if the N bytes at P are spaces, tabs and carriage returns only: a
 * task file skips such a line, so a queue takes none either. */
static int blank(const unsigned char *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

/* What is wrong with M (LEN bytes in all) for its type, or NULL. */
static const char *fields_wrong(const struct queue_msg *m, size_t len)
{
	switch (m->type) {
	case QUEUE_ADD:
		if (m->b || m->c)
			return "stray fields in an add";
		if (m->a == 0 || m->a > QUEUE_CMD_MAX)
			return "command length out of range";
		if (len != QUEUE_HEAD_SIZE + (size_t)m->a)
			return "an add whose size is not its command's";
		if (memchr(m->cmd, '\0', m->a) || memchr(m->cmd, '\n', m->a))
			return "a NUL or a line break in a command";
		return blank(m->cmd, m->a) ? "a command of blanks only" : NULL;
	case QUEUE_COMMIT:
		if (len != QUEUE_HEAD_SIZE)
			return "a record of the wrong size";
		if (m->a == 0 || m->a > QUEUE_ADD_MAX || m->b || m->c)
			return "commit count out of range";
		return NULL;
	case QUEUE_CLOSE:
		if (len != QUEUE_HEAD_SIZE)
			return "a record of the wrong size";
		return m->a || m->b || m->c ? "stray fields in a close" : NULL;
	case QUEUE_READY:
		if (len != QUEUE_HEAD_SIZE)
			return "a record of the wrong size";
		return m->a || m->b || m->c ? "stray fields in a ready" : NULL;
	case QUEUE_REPLY:
		if (len != QUEUE_HEAD_SIZE)
			return "a record of the wrong size";
		if (m->a >= QUEUE_STATUS_COUNT || m->c > QUEUE_ADD_MAX)
			return "reply out of range";
		if (m->a != QUEUE_OK && (m->b || m->c))
			return "ids in a refusal";
		return (uint64_t)m->b + m->c > UINT32_MAX ? "ids out of range" : NULL;
	default:
		return "unknown type";
	}
}

int queue_msg_decode(const unsigned char *buf, size_t len, struct queue_msg *m,
		     const char **why)
{
	if (len < QUEUE_HEAD_SIZE) {
		*why = "a record shorter than its head";
		return -EPROTO;
	}
	if ((buf[0] | buf[1] << 8) != QUEUE_MAGIC || buf[2] != QUEUE_VERSION) {
		*why = "not a oneshot queue record of this version";
		return -EPROTO;
	}
	m->type = buf[3];
	m->a = get32(buf + 4);
	m->b = get32(buf + 8);
	m->c = get32(buf + 12);
	m->cmd = buf + QUEUE_HEAD_SIZE;
	*why = fields_wrong(m, len);
	return *why ? -EPROTO : 0;
}

void queue_address(uid_t uid, const uint64_t key[2], struct sockaddr_un *addr,
		   socklen_t *len)
{
	steer_named_address("queue", uid, key, addr, len);
}
