/*
 * reader_find.c: run objects in the shared-memory directory.  Their names are
 * "oneshot.UID.NAME"; the uid is the field between the first two dots and
 * the name (which may itself hold dots) is the rest.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shm/reader.h"
#include "shm/table.h"
#include "shm/util.h"

#define PREFIX "oneshot."

int os_objname_parse(const char *entry, uid_t *uid, char *name)
{
	const char *p = entry + strlen(PREFIX), *dot;
	uint64_t v = 0;

	if (strncmp(entry, PREFIX, strlen(PREFIX)) != 0)
		return -EINVAL;
	dot = strchr(p, '.');
	/* Decimal as os_table_object_name prints it: no sign, no leading 0. */
	if (!dot || dot == p || dot - p > 10 || (p[0] == '0' && dot - p > 1))
		return -EINVAL;
	for (const char *q = p; q < dot; q++) {
		if (*q < '0' || *q > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*q - '0');
	}
	if (v > UINT32_MAX - 1 || strlen(dot + 1) > OS_NAME_MAX || os_run_name_check(dot + 1))
		return -EINVAL;
	*uid = (uid_t)v;
	strcpy(name, dot + 1);
	return 0;
}

static int obj_cmp(const void *a, const void *b)
{
	const struct os_run_obj *x = a, *y = b;

	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	return strcmp(x->name, y->name);
}

int os_find_runs(const char *dir, uid_t uid, int all, struct os_run_obj **out, size_t *n)
{
	DIR *d = opendir(dir);
	struct os_run_obj *list = NULL;
	size_t count = 0, room = 0;
	struct dirent *e;
	int err = 0;

	*out = NULL;
	*n = 0;
	if (!d)
		return -errno;
	while ((errno = 0, e = readdir(d)) != NULL) {
		struct os_run_obj o;

		if (os_objname_parse(e->d_name, &o.uid, o.name) || (!all && o.uid != uid))
			continue;
		if (count == room) {
			size_t grow = room ? room * 2 : 16;
			struct os_run_obj *bigger = realloc(list, grow * sizeof(*list));

			if (!bigger) {
				err = -ENOMEM;
				break;
			}
			list = bigger;
			room = grow;
		}
		list[count++] = o;
	}
	if (!err && errno)
		err = -errno;
	closedir(d);
	if (err) {
		free(list);
		return err;
	}
	if (count)
		qsort(list, count, sizeof(*list), obj_cmp);
	*out = list;
	*n = count;
	return 0;
}

/* 0 if ENTRY exists in DIR (whatever it is), -ENOENT or -errno. */
static int entry_exists(const char *dir, const char *entry)
{
	struct stat st;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err;

	if (dfd < 0)
		return -errno;
	err = fstatat(dfd, entry, &st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
	close(dfd);
	return err;
}

int os_find_owner(const char *dir, const char *name, int any_uid, uid_t *uid)
{
	char entry[96];
	struct os_run_obj *list;
	size_t n, found = 0;
	int err;

	/* os_table_object_name gives "/oneshot.UID.NAME": skip the slash. */
	err = os_table_object_name(entry, sizeof(entry), *uid, name);
	if (err)
		return err;
	err = entry_exists(dir, entry + 1);
	if (err != -ENOENT || !any_uid)
		return err;
	err = os_find_runs(dir, 0, 1, &list, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(list[i].name, name) == 0 && found++ == 0)
			*uid = list[i].uid;
	}
	free(list);
	if (found == 0)
		return -ENOENT;
	return found == 1 ? 0 : -ENOTUNIQ;
}

int os_user_parse(const char *text, uid_t *uid)
{
	struct passwd *pw;
	uint64_t v;

	if (os_parse_uint(text, 0, UINT32_MAX - 1, &v) == 0) {
		*uid = (uid_t)v;
		return 0;
	}
	pw = getpwnam(text);
	if (!pw)
		return -ENOENT;
	*uid = pw->pw_uid;
	return 0;
}
