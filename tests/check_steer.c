/*
 * check_steer.c: steer/, the wire formats between oneshot-ctl and a
 * worker (proto.h) and between oneshot-ctl and a queue's supervisor
 * (queue.h): records round-trip, and every malformed one is refused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "steer/proto.h"
#include "steer/queue.h"
#include "tests/check_suites.h"

static int decode(const unsigned char *rec, size_t len, struct steer_msg *m, const char **why)
{
	*why = NULL;
	return steer_msg_decode(rec, len, m, why);
}

START_TEST(round_trip)
{
	const struct steer_msg msgs[] = {
		{ .type = STEER_HELLO, .flags = STEER_F_INPUT },
		{ .type = STEER_HELLO, .flags = STEER_F_ALL, .rows = 30, .cols = 100 },
		{ .type = STEER_RESIZE, .rows = STEER_SIZE_MAX, .cols = 1 },
		{ .type = STEER_REPLY, .status = -ESRCH },
		{ .type = STEER_REPLY, .rows = 24, .cols = 80 },
	};
	unsigned char rec[STEER_MSG_SIZE];
	struct steer_msg back;
	const char *why;

	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		steer_msg_encode(&msgs[i], rec);
		ck_assert_int_eq(decode(rec, sizeof(rec), &back, &why), 0);
		ck_assert_uint_eq(back.type, msgs[i].type);
		ck_assert_uint_eq(back.flags, msgs[i].flags);
		ck_assert_uint_eq(back.rows, msgs[i].rows);
		ck_assert_uint_eq(back.cols, msgs[i].cols);
		ck_assert_int_eq(back.status, msgs[i].status);
	}
}
END_TEST

START_TEST(refused)
{
	static const struct {
		struct steer_msg m;
		const char *why;
	} cases[] = {
		{ { .type = 0 }, "unknown type" },
		{ { .type = 9 }, "unknown type" },
		{ { .type = STEER_HELLO, .flags = 4 }, "unknown flags" },
		{ { .type = STEER_HELLO, .flags = STEER_F_RESIZE }, "a size without" },
		{ { .type = STEER_HELLO, .rows = 3, .cols = 3 }, "a size without" },
		{ { .type = STEER_HELLO, .flags = STEER_F_RESIZE, .rows = 5000, .cols = 3 },
		  "size out of range" },
		{ { .type = STEER_HELLO, .status = 1 }, "a status in a hello" },
		{ { .type = STEER_RESIZE, .rows = 0, .cols = 80 }, "size out of range" },
		{ { .type = STEER_RESIZE, .flags = 1, .rows = 1, .cols = 1 }, "flags or a status" },
		{ { .type = STEER_REPLY, .status = 1 }, "status not 0 or -errno" },
		{ { .type = STEER_REPLY, .flags = 1 }, "flags in a reply" },
	};
	unsigned char rec[STEER_MSG_SIZE + 1];
	struct steer_msg m;
	const char *why;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		steer_msg_encode(&cases[i].m, rec);
		ck_assert_msg(decode(rec, STEER_MSG_SIZE, &m, &why) == -EPROTO, "case %zu", i);
		ck_assert_msg(why && strstr(why, cases[i].why), "case %zu: %s", i, why);
	}
	steer_msg_encode(&cases[0].m, rec);
	ck_assert_int_eq(decode(rec, STEER_MSG_SIZE - 1, &m, &why), -EPROTO);
	ck_assert_int_eq(decode(rec, STEER_MSG_SIZE + 1, &m, &why), -EPROTO);
	ck_assert_str_eq(why, "a record of the wrong size");
	memset(rec, 0, sizeof(rec));
	ck_assert_int_eq(decode(rec, STEER_MSG_SIZE, &m, &why), -EPROTO);
	ck_assert_str_eq(why, "not a oneshot steering record of this version");
}
END_TEST

START_TEST(address)
{
	const uint64_t key[2] = { 0x0123456789abcdefULL, 1 };
	struct sockaddr_un addr;
	socklen_t len;

	steer_address(1000, key, &addr, &len);
	ck_assert_int_eq(addr.sun_path[0], '\0');
	ck_assert_int_eq(len, offsetof(struct sockaddr_un, sun_path) + 1 +
				      strlen("oneshot.steer.1000.0123456789abcdef0000000000000001"));
	ck_assert(memcmp(addr.sun_path + 1, "oneshot.steer.1000.0123456789abcdef0000000000000001",
			 len - offsetof(struct sockaddr_un, sun_path) - 1) == 0);
}
END_TEST

/* ------------------------------------------------------- queue records */

#define QREC_MAX (QUEUE_HEAD_SIZE + QUEUE_CMD_MAX + 1)

/* M's head, then LEN bytes of CMD, into REC; the record's length. */
static size_t qrecord(const struct queue_msg *m, const char *cmd, size_t len,
		      unsigned char *rec)
{
	queue_msg_encode(m, rec);
	if (len)
		memcpy(rec + QUEUE_HEAD_SIZE, cmd, len);
	return QUEUE_HEAD_SIZE + len;
}

static int qdecode(const unsigned char *rec, size_t len, struct queue_msg *m, const char **why)
{
	memset(m, 0xa5, sizeof(*m));
	*why = NULL;
	return queue_msg_decode(rec, len, m, why);
}

START_TEST(queue_round_trip)
{
	static const struct {
		struct queue_msg m;
		const char *cmd;
	} msgs[] = {
		{ { .type = QUEUE_ADD, .a = 4 }, "true" },
		{ { .type = QUEUE_ADD, .a = 13 }, "printf 'a\\tb'" },
		{ { .type = QUEUE_ADD, .a = 6 }, "a\tb\r\x7f\xff" },
		{ { .type = QUEUE_COMMIT, .a = 1 }, NULL },
		{ { .type = QUEUE_COMMIT, .a = QUEUE_ADD_MAX }, NULL },
		{ { .type = QUEUE_CLOSE }, NULL },
		{ { .type = QUEUE_READY }, NULL },
		{ { .type = QUEUE_REPLY, .a = QUEUE_OK, .b = 1, .c = 1 }, NULL },
		{ { .type = QUEUE_REPLY, .a = QUEUE_OK, .b = 70000, .c = QUEUE_ADD_MAX }, NULL },
		{ { .type = QUEUE_REPLY, .a = QUEUE_OK, .b = UINT32_MAX - 1, .c = 1 }, NULL },
		{ { .type = QUEUE_REPLY, .a = QUEUE_OK }, NULL },
		{ { .type = QUEUE_REPLY, .a = QUEUE_CLOSED }, NULL },
		{ { .type = QUEUE_REPLY, .a = QUEUE_FULL }, NULL },
		{ { .type = QUEUE_REPLY, .a = QUEUE_STOPPING }, NULL },
		{ { .type = QUEUE_REPLY, .a = QUEUE_REFUSED }, NULL },
		{ { .type = QUEUE_REPLY, .a = QUEUE_FAILED }, NULL },
		{ { .type = QUEUE_REPLY, .a = QUEUE_BUSY }, NULL },
	};
	unsigned char rec[64];
	struct queue_msg back;
	const char *why;

	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		size_t cmd_len = msgs[i].cmd ? strlen(msgs[i].cmd) : 0;
		size_t len = qrecord(&msgs[i].m, msgs[i].cmd, cmd_len, rec);

		ck_assert_msg(qdecode(rec, len, &back, &why) == 0, "message %zu: %s", i, why);
		ck_assert_ptr_null(why);
		ck_assert_uint_eq(back.type, msgs[i].m.type);
		ck_assert_uint_eq(back.a, msgs[i].m.a);
		ck_assert_uint_eq(back.b, msgs[i].m.b);
		ck_assert_uint_eq(back.c, msgs[i].m.c);
		ck_assert_ptr_eq(back.cmd, rec + QUEUE_HEAD_SIZE);
		if (msgs[i].cmd)
			ck_assert_int_eq(memcmp(back.cmd, msgs[i].cmd, cmd_len), 0);
	}
}
END_TEST

/* The head, byte by byte: magic "OQ", version, type, then A, B, C
 * little-endian. */
START_TEST(queue_head_bytes)
{
	static const unsigned char want[QUEUE_HEAD_SIZE] = {
		'O', 'Q', 1, QUEUE_REPLY, 0x04, 0x03, 0x02, 0x01,
		0xff, 0xff, 0xff, 0xfe, 0x00, 0x00, 0x01, 0x00,
	};
	const struct queue_msg m = { .type = QUEUE_REPLY, .a = 0x01020304,
				     .b = 0xfeffffffu, .c = 0x10000 };
	unsigned char rec[QUEUE_HEAD_SIZE];

	queue_msg_encode(&m, rec);
	ck_assert_mem_eq(rec, want, QUEUE_HEAD_SIZE);
}
END_TEST

/* The longest command fits; one byte more does not. */
START_TEST(queue_add_longest)
{
	unsigned char *rec = malloc(QREC_MAX + 1);
	struct queue_msg m = { .type = QUEUE_ADD, .a = QUEUE_CMD_MAX }, back;
	const char *why;

	ck_assert_ptr_nonnull(rec);
	ck_assert_uint_eq(QUEUE_CMD_MAX, 131071);
	queue_msg_encode(&m, rec);
	memset(rec + QUEUE_HEAD_SIZE, 'x', QUEUE_CMD_MAX + 1);
	ck_assert_int_eq(qdecode(rec, QUEUE_HEAD_SIZE + QUEUE_CMD_MAX, &back, &why), 0);
	ck_assert_uint_eq(back.a, QUEUE_CMD_MAX);
	m.a = QUEUE_CMD_MAX + 1;
	queue_msg_encode(&m, rec);
	ck_assert_int_eq(qdecode(rec, QUEUE_HEAD_SIZE + QUEUE_CMD_MAX + 1, &back, &why), -EPROTO);
	ck_assert_str_eq(why, "command length out of range");
	/* A line break or a NUL in its very last byte is found too. */
	m.a = QUEUE_CMD_MAX;
	queue_msg_encode(&m, rec);
	rec[QUEUE_HEAD_SIZE + QUEUE_CMD_MAX - 1] = '\n';
	ck_assert_int_eq(qdecode(rec, QUEUE_HEAD_SIZE + QUEUE_CMD_MAX, &back, &why), -EPROTO);
	ck_assert_str_eq(why, "a NUL or a line break in a command");
	rec[QUEUE_HEAD_SIZE + QUEUE_CMD_MAX - 1] = '\0';
	ck_assert_int_eq(qdecode(rec, QUEUE_HEAD_SIZE + QUEUE_CMD_MAX, &back, &why), -EPROTO);
	ck_assert_str_eq(why, "a NUL or a line break in a command");
	free(rec);
}
END_TEST

START_TEST(queue_refused)
{
	static const struct {
		struct queue_msg m;
		const char *cmd;  /* after the head: N bytes of it (-1: all) */
		int n, extra;     /* EXTRA: bytes more than head + N (zeros) */
		const char *why;
	} cases[] = {
		{ { .type = 0 }, NULL, 0, 0, "unknown type" },
		{ { .type = 6 }, NULL, 0, 0, "unknown type" },
		{ { .type = 255 }, NULL, 0, 0, "unknown type" },
		{ { .type = QUEUE_ADD, .a = 1, .b = 1 }, "x", -1, 0, "stray fields in an add" },
		{ { .type = QUEUE_ADD, .a = 1, .c = 1 }, "x", -1, 0, "stray fields in an add" },
		{ { .type = QUEUE_ADD, .a = 0 }, NULL, 0, 0, "command length out of range" },
		{ { .type = QUEUE_ADD, .a = 0 }, "x", -1, 0, "command length out of range" },
		{ { .type = QUEUE_ADD, .a = QUEUE_CMD_MAX + 1 }, "x", -1, 0,
		  "command length out of range" },
		{ { .type = QUEUE_ADD, .a = UINT32_MAX }, "x", -1, 0,
		  "command length out of range" },
		{ { .type = QUEUE_ADD, .a = 5 }, "true", -1, 0,
		  "an add whose size is not its command's" },
		{ { .type = QUEUE_ADD, .a = 3 }, "true", -1, 0,
		  "an add whose size is not its command's" },
		{ { .type = QUEUE_ADD, .a = 4 }, "true", -1, 1,
		  "an add whose size is not its command's" },
		{ { .type = QUEUE_ADD, .a = 4 }, NULL, 0, 0,
		  "an add whose size is not its command's" },
		{ { .type = QUEUE_ADD, .a = 4 }, "tr\nue", 4, 0,
		  "a NUL or a line break in a command" },
		{ { .type = QUEUE_ADD, .a = 1 }, "\n", -1, 0,
		  "a NUL or a line break in a command" },
		{ { .type = QUEUE_ADD, .a = 4 }, "t\0ue", 4, 0,
		  "a NUL or a line break in a command" },
		{ { .type = QUEUE_ADD, .a = 1 }, "", 1, 0, "a NUL or a line break in a command" },
		{ { .type = QUEUE_COMMIT, .a = 1 }, NULL, 0, 1, "a record of the wrong size" },
		{ { .type = QUEUE_COMMIT, .a = 1 }, "x", -1, 0, "a record of the wrong size" },
		{ { .type = QUEUE_COMMIT, .a = 0 }, NULL, 0, 0, "commit count out of range" },
		{ { .type = QUEUE_COMMIT, .a = QUEUE_ADD_MAX + 1 }, NULL, 0, 0,
		  "commit count out of range" },
		{ { .type = QUEUE_COMMIT, .a = 1, .b = 1 }, NULL, 0, 0,
		  "commit count out of range" },
		{ { .type = QUEUE_COMMIT, .a = 1, .c = 1 }, NULL, 0, 0,
		  "commit count out of range" },
		{ { .type = QUEUE_CLOSE }, "x", -1, 0, "a record of the wrong size" },
		{ { .type = QUEUE_CLOSE, .a = 1 }, NULL, 0, 0, "stray fields in a close" },
		{ { .type = QUEUE_CLOSE, .b = 1 }, NULL, 0, 0, "stray fields in a close" },
		{ { .type = QUEUE_CLOSE, .c = 1 }, NULL, 0, 0, "stray fields in a close" },
		{ { .type = QUEUE_READY }, "x", -1, 0, "a record of the wrong size" },
		{ { .type = QUEUE_READY, .a = 1 }, NULL, 0, 0, "stray fields in a ready" },
		{ { .type = QUEUE_READY, .b = 1 }, NULL, 0, 0, "stray fields in a ready" },
		{ { .type = QUEUE_READY, .c = 1 }, NULL, 0, 0, "stray fields in a ready" },
		{ { .type = QUEUE_REPLY }, NULL, 0, 1, "a record of the wrong size" },
		{ { .type = QUEUE_REPLY, .a = QUEUE_STATUS_COUNT }, NULL, 0, 0,
		  "reply out of range" },
		{ { .type = QUEUE_REPLY, .a = UINT32_MAX }, NULL, 0, 0, "reply out of range" },
		{ { .type = QUEUE_REPLY, .b = 1, .c = QUEUE_ADD_MAX + 1 }, NULL, 0, 0,
		  "reply out of range" },
		{ { .type = QUEUE_REPLY, .a = QUEUE_FULL, .b = 1 }, NULL, 0, 0,
		  "ids in a refusal" },
		{ { .type = QUEUE_REPLY, .a = QUEUE_CLOSED, .c = 1 }, NULL, 0, 0,
		  "ids in a refusal" },
		{ { .type = QUEUE_REPLY, .a = QUEUE_BUSY, .b = 1, .c = 1 }, NULL, 0, 0,
		  "ids in a refusal" },
		{ { .type = QUEUE_REPLY, .a = QUEUE_FAILED, .b = 3, .c = 2 }, NULL, 0, 0,
		  "ids in a refusal" },
		{ { .type = QUEUE_REPLY, .b = UINT32_MAX, .c = 1 }, NULL, 0, 0,
		  "ids out of range" },
		{ { .type = QUEUE_REPLY, .b = UINT32_MAX - 10, .c = 12 }, NULL, 0, 0,
		  "ids out of range" },
	};
	unsigned char rec[64];
	struct queue_msg m;
	const char *why;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = cases[i].n < 0 ? strlen(cases[i].cmd) : (size_t)cases[i].n;
		size_t len;

		memset(rec, 0, sizeof(rec));
		len = qrecord(&cases[i].m, cases[i].cmd, n, rec) + (size_t)cases[i].extra;

		ck_assert_msg(qdecode(rec, len, &m, &why) == -EPROTO, "case %zu accepted", i);
		ck_assert_msg(why && strcmp(why, cases[i].why) == 0, "case %zu: \"%s\"", i, why);
	}
}
END_TEST

/* Heads that are no queue record of ours, whatever follows. */
START_TEST(queue_not_ours)
{
	const struct queue_msg close = { .type = QUEUE_CLOSE };
	const struct steer_msg hello = { .type = STEER_HELLO, .flags = STEER_F_INPUT };
	unsigned char rec[QUEUE_HEAD_SIZE + 1];
	struct steer_msg sm;
	struct queue_msg m;
	const char *why;

	queue_msg_encode(&close, rec);
	ck_assert_int_eq(qdecode(rec, QUEUE_HEAD_SIZE, &m, &why), 0);
	for (size_t len = 0; len < QUEUE_HEAD_SIZE; len++) {
		ck_assert_int_eq(qdecode(rec, len, &m, &why), -EPROTO);
		ck_assert_str_eq(why, "a record shorter than its head");
	}
	for (int byte = 0; byte < 3; byte++) {
		queue_msg_encode(&close, rec);
		rec[byte] ^= byte == 2 ? 0x03 : 0x01;
		ck_assert_int_eq(qdecode(rec, QUEUE_HEAD_SIZE, &m, &why), -EPROTO);
		ck_assert_str_eq(why, "not a oneshot queue record of this version");
	}
	/* A steering record is none, and a queue record no steering one. */
	steer_msg_encode(&hello, rec);
	ck_assert_int_eq(qdecode(rec, STEER_MSG_SIZE, &m, &why), -EPROTO);
	ck_assert_str_eq(why, "not a oneshot queue record of this version");
	queue_msg_encode(&close, rec);
	why = NULL;
	ck_assert_int_eq(steer_msg_decode(rec, QUEUE_HEAD_SIZE, &sm, &why), -EPROTO);
	ck_assert_ptr_nonnull(why);
}
END_TEST

START_TEST(queue_address_name)
{
	const uint64_t key[2] = { 0x0123456789abcdefULL, 1 };
	const uint64_t top[2] = { UINT64_MAX, UINT64_MAX };
	const char *want = "oneshot.queue.1000.0123456789abcdef0000000000000001";
	const char *want_top = "oneshot.queue.4294967294.ffffffffffffffffffffffffffffffff";
	struct sockaddr_un addr, steer;
	socklen_t len, steer_len;

	queue_address(1000, key, &addr, &len);
	ck_assert_int_eq(addr.sun_family, AF_UNIX);
	ck_assert_int_eq(addr.sun_path[0], '\0');
	ck_assert_int_eq(len, offsetof(struct sockaddr_un, sun_path) + 1 + strlen(want));
	ck_assert(memcmp(addr.sun_path + 1, want, strlen(want)) == 0);
	/* Not a steering endpoint's name, for the same owner and key. */
	steer_address(1000, key, &steer, &steer_len);
	ck_assert(steer_len != len || memcmp(steer.sun_path, addr.sun_path,
					     len - offsetof(struct sockaddr_un, sun_path)));
	queue_address((uid_t)4294967294u, top, &addr, &len);
	ck_assert_int_eq(len, offsetof(struct sockaddr_un, sun_path) + 1 + strlen(want_top));
	ck_assert(memcmp(addr.sun_path + 1, want_top, strlen(want_top)) == 0);
	ck_assert_uint_le(len, sizeof(addr));
}
END_TEST

Suite *make_steer_suite(void)
{
	Suite *s = suite_create("steer");
	TCase *tc = tcase_create("core");
	TCase *queue = tcase_create("queue");

	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, refused);
	tcase_add_test(tc, address);
	suite_add_tcase(s, tc);

	tcase_add_test(queue, queue_round_trip);
	tcase_add_test(queue, queue_head_bytes);
	tcase_add_test(queue, queue_add_longest);
	tcase_add_test(queue, queue_refused);
	tcase_add_test(queue, queue_not_ours);
	tcase_add_test(queue, queue_address_name);
	suite_add_tcase(s, queue);
	return s;
}
