/*
 * naming.c: run names and the shm object name derived from them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "shm/table.h"

int os_run_name_check(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > OS_NAME_MAX || name[0] == '.')
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
		if (!ok)
			return -EINVAL;
	}
	return 0;
}

int os_table_object_name(char *buf, size_t len, uid_t uid, const char *name)
{
	int n = snprintf(buf, len, "/oneshot.%u.%s", (unsigned)uid, name);

	return (n < 0 || (size_t)n >= len) ? -ENAMETOOLONG : 0;
}
