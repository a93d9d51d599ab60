/*
 * fuzz_steer.c: libFuzzer target for the steering wire format
 * (steer/proto.c), which a worker reads from any client the kernel lets
 * connect to its endpoint before the client's credentials are known to be
 * good, and oneshot-ctl reads from the worker; and for the queue wire format
 * (steer/queue.c), which a queue's supervisor reads from `oneshot-ctl add`
 * and oneshot-ctl from the supervisor.
 *
 * The input is one received record (any length).  Accepted: exactly
 * STEER_MSG_SIZE bytes; a known type; hello flags within STEER_F_ALL, with a
 * size exactly when STEER_F_RESIZE; sizes within 1..STEER_SIZE_MAX; a reply's
 * status 0 or -errno; and written back by steer_msg_encode the record is
 * the same bytes.  Refused: -EPROTO and a non-empty reason.  The first 16
 * bytes also serve as an endpoint key: the address is abstract, under
 * sun_path's size, and holds no NUL after its first byte.
 *
 * The same input is also one queue record.  Accepted: at least the 16-byte
 * head; a known type; an ADD is exactly its head and A bytes of command, A
 * in 1..QUEUE_CMD_MAX, with no NUL or line break in it and no B or C; every
 * other record the head alone: a COMMIT of 1..QUEUE_ADD_MAX and nothing
 * else, a CLOSE or a READY of no fields, a REPLY with a known status, at most
 * QUEUE_ADD_MAX ids that do not pass UINT32_MAX, and none in a refusal; and
 * written back by queue_msg_encode the head is the same bytes.  Refused:
 * -EPROTO and a non-empty reason.  The queue endpoint's address, from the
 * same key, is abstract and no steering endpoint's.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "steer/proto.h"
#include "steer/queue.h"
#include "tests/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accepted(const uint8_t *data, const struct steer_msg *m)
{
	unsigned char back[STEER_MSG_SIZE];

	CHECK(m->type == STEER_HELLO || m->type == STEER_REPLY || m->type == STEER_RESIZE);
	CHECK(!(m->flags & ~STEER_F_ALL));
	CHECK(m->type == STEER_HELLO || m->flags == 0);
	CHECK((m->rows == 0) == (m->cols == 0));
	CHECK(m->rows <= STEER_SIZE_MAX && m->cols <= STEER_SIZE_MAX);
	CHECK(m->type != STEER_RESIZE || m->rows > 0);
	CHECK(m->type != STEER_HELLO || !!(m->flags & STEER_F_RESIZE) == (m->rows > 0));
	CHECK(m->type == STEER_REPLY ? m->status <= 0 && m->status >= -4095 : m->status == 0);
	steer_msg_encode(m, back);
	CHECK(memcmp(back, data, STEER_MSG_SIZE) == 0);
}

static void check_queue_accepted(const uint8_t *data, size_t size, const struct queue_msg *m)
{
	unsigned char back[QUEUE_HEAD_SIZE];
	uint32_t k;

	CHECK(size >= QUEUE_HEAD_SIZE);
	CHECK(m->cmd == data + QUEUE_HEAD_SIZE);
	switch (m->type) {
	case QUEUE_ADD:
		CHECK(m->a >= 1 && m->a <= QUEUE_CMD_MAX && m->b == 0 && m->c == 0);
		CHECK(size == QUEUE_HEAD_SIZE + (size_t)m->a);
		CHECK(memchr(m->cmd, '\0', m->a) == NULL && memchr(m->cmd, '\n', m->a) == NULL);
		for (k = 0; k < m->a && strchr(" \t\r", m->cmd[k]); k++)
			;
		CHECK(k < m->a); /* not blanks only */
		break;
	case QUEUE_COMMIT:
		CHECK(size == QUEUE_HEAD_SIZE);
		CHECK(m->a >= 1 && m->a <= QUEUE_ADD_MAX && m->b == 0 && m->c == 0);
		break;
	case QUEUE_CLOSE:
	case QUEUE_READY:
		CHECK(size == QUEUE_HEAD_SIZE);
		CHECK(m->a == 0 && m->b == 0 && m->c == 0);
		break;
	case QUEUE_REPLY:
		CHECK(size == QUEUE_HEAD_SIZE);
		CHECK(m->a < QUEUE_STATUS_COUNT && m->c <= QUEUE_ADD_MAX);
		CHECK(m->a == QUEUE_OK || (m->b == 0 && m->c == 0));
		CHECK((uint64_t)m->b + m->c <= UINT32_MAX);
		break;
	default:
		CHECK(!"an unknown type accepted");
	}
	queue_msg_encode(m, back);
	CHECK(memcmp(back, data, QUEUE_HEAD_SIZE) == 0);
}

/* The name of an abstract address of LEN bytes (checked well-formed). */
static size_t abstract_name(const struct sockaddr_un *addr, socklen_t len)
{
	size_t name;

	CHECK(addr->sun_family == AF_UNIX && addr->sun_path[0] == '\0');
	CHECK(len > offsetof(struct sockaddr_un, sun_path) + 1 && len <= sizeof(*addr));
	name = len - offsetof(struct sockaddr_un, sun_path) - 1;
	CHECK(memchr(addr->sun_path + 1, '\0', name) == NULL);
	return name;
}

static void check_address(const uint8_t *data, size_t size)
{
	uint64_t key[2] = { 0, 0 };
	struct sockaddr_un addr, queue;
	socklen_t len, queue_len;
	uid_t uid = (uid_t)(size * 2654435761u);
	size_t name, queue_name;

	memcpy(key, data, size < sizeof(key) ? size : sizeof(key));
	steer_address(uid, key, &addr, &len);
	name = abstract_name(&addr, len);
	queue_address(uid, key, &queue, &queue_len);
	queue_name = abstract_name(&queue, queue_len);
	CHECK(queue_name > 14 && memcmp(queue.sun_path + 1, "oneshot.queue.", 14) == 0);
	CHECK(name != queue_name || memcmp(addr.sun_path + 1, queue.sun_path + 1, name) != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct steer_msg m;
	struct queue_msg q;
	const char *why = NULL;
	int ret = steer_msg_decode(data, size, &m, &why);

	if (ret == 0) {
		CHECK(size == STEER_MSG_SIZE);
		check_accepted(data, &m);
	} else {
		CHECK(ret == -EPROTO);
		CHECK(why != NULL && why[0] != '\0');
	}
	why = NULL;
	ret = queue_msg_decode(data, size, &q, &why);
	if (ret == 0) {
		check_queue_accepted(data, size, &q);
	} else {
		CHECK(ret == -EPROTO);
		CHECK(why != NULL && why[0] != '\0');
	}
	check_address(data, size);
	return 0;
}
