/*
 * limits.c: --rlimit, resource limits for the task and only the task.
 *
 * posix_spawn has no attribute for resource limits, and the worker cannot
 * reach into the child between fork and exec.  It does not need to: glibc's
 * posix_spawn is clone(CLONE_VM | CLONE_VFORK), so the worker is suspended
 * from the clone until the child has exec'd (or failed to).  The worker sets
 * the task's SOFT limits on itself right before posix_spawn, the child
 * inherits them at the clone, and the worker puts its own back as soon as
 * posix_spawn returns: the lowered limits were in force only while the
 * worker was not running, so none of its own work (transcript writes, its
 * descriptors) ever happens under them.  Only soft limits change, so a user
 * who is not root can always raise them back (up to the unchanged hard
 * limit); a value above the hard limit is refused when the options are
 * parsed.  If putting a limit back still fails, spawn.c kills the task and
 * the worker records the failure rather than run on with wrong limits.
 *
 * What the window does to the spawn itself, and the minimums that follow:
 *
 *  - nofile: the child's file actions open the slave as fd 0 and dup it
 *    to 1 and 2, so below 3 the spawn fails (EBADF); the dynamic loader of
 *    the program then needs one more descriptor to open its libraries.
 *    Minimum 4.
 *  - as: glibc mmaps the child's stack in the worker before the clone, so
 *    the worker's whole address space must fit under the limit (a few MiB,
 *    plus the task file and the table, which the worker shares).  Minimum
 *    16 MiB; a worker that is bigger fails the task with a message naming
 *    --rlimit as.
 *  - nproc: counted per user over all their processes, and checked by the
 *    clone itself against the limit in force, so the run's own processes
 *    (supervisor, workers, tasks) count.  A user other than root is
 *    refused values below 2 x jobs + 1 (options.c); root is exempt from
 *    RLIMIT_NPROC, but a task that switches to another user keeps it.
 *  - cpu: the worker's CPU timer is armed with the lowered limit too; a
 *    worker already past it would get SIGXCPU, so workers keep SIGXCPU
 *    (and SIGXFSZ) blocked (worker.c).  Minimum 1 second.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/worker.h"

#define MIB ((rlim_t)1 << 20)

struct rlimit_kind {
	const char *name;
	int resource;
	int bytes;    /* K/M/G suffixes allowed */
	rlim_t min;
	const char *unit;
};

static const struct rlimit_kind kinds[] = {
	{ "cpu", RLIMIT_CPU, 0, 1, "seconds" },
	{ "as", RLIMIT_AS, 1, 16 * MIB, "bytes" },
	{ "fsize", RLIMIT_FSIZE, 1, 0, "bytes" },
	{ "core", RLIMIT_CORE, 1, 0, "bytes" },
	{ "nofile", RLIMIT_NOFILE, 0, 4, "files" },
	{ "nproc", RLIMIT_NPROC, 0, 1, "processes" },
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static const struct rlimit_kind *kind_of(int resource)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (kinds[i].resource == resource)
			return &kinds[i];
	return NULL;
}

const char *worker_rlimit_name(int resource)
{
	const struct rlimit_kind *k = kind_of(resource);

	return k ? k->name : "?";
}

void worker_rlimit_format(const struct worker_rlimit *l, char *buf, size_t len)
{
	const struct rlimit_kind *k = kind_of(l->resource);
	static const char suffix[] = "KMG";
	uintmax_t v = l->value;
	int s = -1;

	if (l->value == RLIM_INFINITY) {
		snprintf(buf, len, "unlimited");
		return;
	}
	while (k && k->bytes && s < 2 && v >= 1024 && v % 1024 == 0) {
		v /= 1024;
		s++;
	}
	if (s >= 0)
		snprintf(buf, len, "%ju%c", v, suffix[s]);
	else
		snprintf(buf, len, "%ju", v);
}

/* Decimal digits, then for a size an optional K, M or G (powers of 1024). */
static int parse_value(const char *text, int bytes, rlim_t *out)
{
	uintmax_t v = 0, mult = 1;
	const char *p = text;

	if (strcmp(text, "unlimited") == 0) {
		*out = RLIM_INFINITY;
		return 0;
	}
	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINTMAX_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uintmax_t)(*p - '0');
	}
	if (bytes && *p && !p[1]) {
		switch (*p) {
		case 'K': case 'k': mult = (uintmax_t)1 << 10; p++; break;
		case 'M': case 'm': mult = (uintmax_t)1 << 20; p++; break;
		case 'G': case 'g': mult = (uintmax_t)1 << 30; p++; break;
		default: break;
		}
	}
	if (*p || v > UINTMAX_MAX / mult)
		return -EINVAL;
	v *= mult;
	if (v >= (uintmax_t)RLIM_INFINITY)
		return -EINVAL; /* would read as unlimited */
	*out = (rlim_t)v;
	return 0;
}

int worker_rlimit_parse(const char *arg, struct worker_rlimit *out, char *why, size_t len)
{
	const char *eq = strchr(arg, '=');
	const struct rlimit_kind *k = NULL;
	struct rlimit cur;
	char shown[32];

	for (size_t i = 0; eq && i < NKINDS && !k; i++)
		if (strlen(kinds[i].name) == (size_t)(eq - arg) &&
		    memcmp(kinds[i].name, arg, (size_t)(eq - arg)) == 0)
			k = &kinds[i];
	if (!k) {
		snprintf(why, len, "expected NAME=VALUE with NAME one of cpu, as, fsize, core, "
			 "nofile, nproc, got '%s'", arg);
		return -EINVAL;
	}
	out->resource = k->resource;
	if (parse_value(eq + 1, k->bytes, &out->value)) {
		snprintf(why, len, "expected %s=%s or unlimited, got '%s'", k->name,
			 k->bytes ? "BYTES (K, M, G: powers of 1024)" : k->unit, arg);
		return -EINVAL;
	}
	if (out->value < k->min) {
		struct worker_rlimit m = { k->resource, k->min };

		worker_rlimit_format(&m, shown, sizeof(shown));
		snprintf(why, len, "%s is below the minimum, %s", arg, shown);
		return -EINVAL;
	}
	if (getrlimit(k->resource, &cur) < 0) {
		snprintf(why, len, "%s: getrlimit: %s", arg, strerror(errno));
		return -EINVAL;
	}
	if (cur.rlim_max != RLIM_INFINITY &&
	    (out->value == RLIM_INFINITY || out->value > cur.rlim_max)) {
		struct worker_rlimit h = { k->resource, cur.rlim_max };

		worker_rlimit_format(&h, shown, sizeof(shown));
		snprintf(why, len, "%s is above the hard limit %s", arg, shown);
		return -EINVAL;
	}
	return 0;
}

int worker_rlimits_restore(const struct worker_rlimit *lim, uint32_t n,
			   const struct rlimit *saved, const struct worker_rlimit **failed)
{
	int err = 0;

	/* Every one is tried, even after a failure. */
	for (uint32_t i = 0; i < n; i++)
		if (setrlimit(lim[i].resource, &saved[i]) < 0 && !err) {
			err = -errno;
			*failed = &lim[i];
		}
	return err;
}

int worker_rlimits_lower(const struct worker_rlimit *lim, uint32_t n, struct rlimit *saved,
			 const struct worker_rlimit **failed)
{
	const struct worker_rlimit *ignored;
	int err;

	for (uint32_t i = 0; i < n; i++) {
		if (getrlimit(lim[i].resource, &saved[i]) == 0 &&
		    setrlimit(lim[i].resource, &(struct rlimit){
				      .rlim_cur = lim[i].value, .rlim_max = saved[i].rlim_max }) == 0)
			continue;
		err = -errno;
		*failed = &lim[i];
		worker_rlimits_restore(lim, i, saved, &ignored);
		return err;
	}
	return 0;
}
