/* SPDX-License-Identifier: GPL-2.0 */
/* The unit tests' one assertion: counts, and says where it failed. */
#ifndef _CVMSTAT_TESTS_CHECK_H
#define _CVMSTAT_TESTS_CHECK_H

#include <stdio.h>

static int passed, failed;

#define CHECK(cond, ...)						\
	do {								\
		if (cond) {						\
			passed++;					\
		} else {						\
			failed++;					\
			printf("FAIL %s:%d: ", __FILE__, __LINE__);	\
			printf(__VA_ARGS__);				\
			printf("\n");					\
		}							\
	} while (0)

#endif /* _CVMSTAT_TESTS_CHECK_H */
