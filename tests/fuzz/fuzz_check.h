/*
 * fuzz_check.h: CHECK(cond) for the libFuzzer targets.  An invariant that
 * fails aborts, which libFuzzer reports as a crash with the input saved;
 * assert() would vanish under NDEBUG.
 */
#ifndef ONESHOT_FUZZ_CHECK_H
#define ONESHOT_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                           \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: check failed: %s\n",          \
				__FILE__, __LINE__, #cond);                   \
			abort();                                              \
		}                                                             \
	} while (0)

#endif
