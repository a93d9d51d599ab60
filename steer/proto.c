/*
 * proto.c: the steering wire format (proto.h), one record at a time.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "steer/proto.h"

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const unsigned char *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

/* Layout: magic 2, version 1, type 1, flags 4, rows 2, cols 2, status 4. */
void steer_msg_encode(const struct steer_msg *m, unsigned char out[STEER_MSG_SIZE])
{
	put16(out, STEER_MAGIC);
	out[2] = STEER_VERSION;
	out[3] = m->type;
	put32(out + 4, m->flags);
	put16(out + 8, m->rows);
	put16(out + 10, m->cols);
	put32(out + 12, (uint32_t)m->status);
}

static int size_ok(uint16_t rows, uint16_t cols)
{
	return rows >= 1 && rows <= STEER_SIZE_MAX && cols >= 1 && cols <= STEER_SIZE_MAX;
}

/* What is wrong with M's fields for its type, or NULL. */
static const char *fields_wrong(const struct steer_msg *m)
{
	int sized = m->rows || m->cols;

	switch (m->type) {
	case STEER_HELLO:
		if (m->flags & ~STEER_F_ALL)
			return "unknown flags";
		if (m->status)
			return "a status in a hello";
		if (!!(m->flags & STEER_F_RESIZE) != sized)
			return "a size without STEER_F_RESIZE, or none with it";
		return sized && !size_ok(m->rows, m->cols) ? "size out of range" : NULL;
	case STEER_RESIZE:
		if (m->flags || m->status)
			return "flags or a status in a resize";
		return size_ok(m->rows, m->cols) ? NULL : "size out of range";
	case STEER_REPLY:
		if (m->flags)
			return "flags in a reply";
		if (m->status > 0 || m->status < -4095)
			return "status not 0 or -errno";
		return sized && !size_ok(m->rows, m->cols) ? "size out of range" : NULL;
	default:
		return "unknown type";
	}
}

int steer_msg_decode(const unsigned char *buf, size_t len, struct steer_msg *m,
		     const char **why)
{
	if (len != STEER_MSG_SIZE) {
		*why = "a record of the wrong size";
		return -EPROTO;
	}
	if (get16(buf) != STEER_MAGIC || buf[2] != STEER_VERSION) {
		*why = "not a oneshot steering record of this version";
		return -EPROTO;
	}
	m->type = buf[3];
	m->flags = get32(buf + 4);
	m->rows = get16(buf + 8);
	m->cols = get16(buf + 10);
	m->status = (int32_t)get32(buf + 12);
	*why = fields_wrong(m);
	return *why ? -EPROTO : 0;
}

void steer_named_address(const char *kind, uid_t uid, const uint64_t key[2],
			 struct sockaddr_un *addr, socklen_t *len)
{
	int n;

	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	/* Abstract: sun_path[0] is NUL and the name is the bytes after it,
	 * without a terminating NUL.  Nothing on disk to leave behind. */
	n = snprintf(addr->sun_path + 1, sizeof(addr->sun_path) - 1,
		     "oneshot.%s.%u.%016llx%016llx", kind, (unsigned)uid,
		     (unsigned long long)key[0], (unsigned long long)key[1]);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

void steer_address(uid_t uid, const uint64_t key[2], struct sockaddr_un *addr,
		   socklen_t *len)
{
	steer_named_address("steer", uid, key, addr, len);
}
