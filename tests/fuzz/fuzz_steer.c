/*
 * fuzz_steer.c: libFuzzer target for the steering wire format
 * (steer/proto.c), which a worker reads from any client the kernel lets
 * connect to its endpoint before the client's credentials are known to be
 * good, and oneshot-ctl reads from the worker.
 *
 * The input is one received record (any length).  Accepted: exactly
 * STEER_MSG_SIZE bytes; a known type; hello flags within STEER_F_ALL, with a
 * size exactly when STEER_F_RESIZE; sizes within 1..STEER_SIZE_MAX; a reply's
 * status 0 or -errno; and written back by steer_msg_encode the record is
 * the same bytes.  Refused: -EPROTO and a non-empty reason.  The first 16
 * bytes also serve as an endpoint key: the address is abstract, under
 * sun_path's size, and holds no NUL after its first byte.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "steer/proto.h"
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

static void check_address(const uint8_t *data, size_t size)
{
	uint64_t key[2] = { 0, 0 };
	struct sockaddr_un addr;
	socklen_t len;
	size_t name;

	memcpy(key, data, size < sizeof(key) ? size : sizeof(key));
	steer_address((uid_t)(size * 2654435761u), key, &addr, &len);
	CHECK(addr.sun_family == AF_UNIX && addr.sun_path[0] == '\0');
	CHECK(len > offsetof(struct sockaddr_un, sun_path) + 1 && len <= sizeof(addr));
	name = len - offsetof(struct sockaddr_un, sun_path) - 1;
	CHECK(memchr(addr.sun_path + 1, '\0', name) == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct steer_msg m;
	const char *why = NULL;
	int ret = steer_msg_decode(data, size, &m, &why);

	if (ret == 0) {
		CHECK(size == STEER_MSG_SIZE);
		check_accepted(data, &m);
	} else {
		CHECK(ret == -EPROTO);
		CHECK(why != NULL && why[0] != '\0');
	}
	check_address(data, size);
	return 0;
}
