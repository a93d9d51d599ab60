/*
 * check_suites.h: the Check suites of the unit-test runner, one per area;
 * check_main.c runs them all in one SRunner.
 */
#ifndef ONESHOT_CHECK_SUITES_H
#define ONESHOT_CHECK_SUITES_H

#include <check.h>
#include <stddef.h>

Suite *make_state_suite(void);
Suite *make_slot_suite(void);
Suite *make_table_suite(void);
Suite *make_tasklist_suite(void);
Suite *make_reader_suite(void);
Suite *make_fmt_suite(void);
Suite *make_logdir_suite(void);
Suite *make_shard_suite(void);
Suite *make_merge_suite(void);
Suite *make_steer_suite(void);
Suite *make_screen_suite(void);

/* check_util.c: a new private directory (its path in PATH), opened. */
int check_temp_dir(char *path, size_t len);

/* check_util.c: DIRFD/NAME written with TEXT. */
void check_put(int dirfd, const char *name, const char *text);

/* check_util.c: rm -rf PATH. */
void check_rm_rf(const char *path);

#endif
