/*
 * check_steer.c: steer/, the wire format between oneshot-ctl and a
 * worker: records round-trip, and every malformed one is refused.
 */
#include <errno.h>
#include <string.h>

#include "steer/proto.h"
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

Suite *make_steer_suite(void)
{
	Suite *s = suite_create("steer");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, refused);
	tcase_add_test(tc, address);
	suite_add_tcase(s, tc);
	return s;
}
