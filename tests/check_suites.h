/*
 * check_suites.h: the Check suites of the unit-test runner, one per area;
 * check_main.c runs them all in one SRunner.
 */
#ifndef ONESHOT_CHECK_SUITES_H
#define ONESHOT_CHECK_SUITES_H

#include <check.h>

Suite *make_state_suite(void);
Suite *make_slot_suite(void);
Suite *make_table_suite(void);
Suite *make_tasklist_suite(void);
Suite *make_ps_suite(void);
Suite *make_shard_suite(void);
Suite *make_merge_suite(void);

#endif
