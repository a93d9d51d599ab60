/*
 * check_main.c: the unit-test runner.  One SRunner holds every suite so the
 * summary line counts them all and `make check` sees one exit status.
 * Check forks each test by default (CK_FORK=no turns that off for valgrind),
 * so a crash or a stray helper process stays inside its own test.
 */
#include <stdlib.h>

#include "tests/check_suites.h"

int main(void)
{
	SRunner *sr = srunner_create(make_state_suite());
	int failed;

	srunner_add_suite(sr, make_slot_suite());
	srunner_add_suite(sr, make_table_suite());
	srunner_add_suite(sr, make_tasklist_suite());
	srunner_add_suite(sr, make_reader_suite());
	srunner_add_suite(sr, make_fmt_suite());
	srunner_add_suite(sr, make_logdir_suite());
	srunner_add_suite(sr, make_shard_suite());
	srunner_add_suite(sr, make_merge_suite());
	srunner_add_suite(sr, make_steer_suite());
	srunner_add_suite(sr, make_screen_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
