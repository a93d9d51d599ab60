/*
 * shard.c: --shard, its environment variables, and %K/%N in names.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/shard.h"
#include "shm/util.h"

static int refuse(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A refusal: one line in ERR, -EINVAL. */
static int refuse(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* An environment variable holding a whole number (0 when unset: *set = 0). */
static int env_number(const char *name, uint64_t max, uint64_t *v, int *set,
		      char *err, size_t len)
{
	const char *s = getenv(name);

	*set = s != NULL;
	*v = 0;
	if (!s)
		return 0;
	if (os_parse_uint(s, 0, max, v))
		return refuse(err, len, "--shard auto: %s='%s' is not a whole number", name, s);
	return 0;
}

/* K and N of a Slurm job array: ids MIN, MIN+STEP, ..., MAX, COUNT of them. */
static int from_slurm(struct shard *out, char *err, size_t len)
{
	uint64_t id, count, min, max, step;
	int has_id, has_count, has_min, has_max, has_step, ret;

	ret = env_number("SLURM_ARRAY_TASK_ID", UINT32_MAX, &id, &has_id, err, len);
	ret = ret ? ret : env_number("SLURM_ARRAY_TASK_COUNT", SHARD_COUNT_MAX, &count,
				      &has_count, err, len);
	ret = ret ? ret : env_number("SLURM_ARRAY_TASK_MIN", UINT32_MAX, &min, &has_min, err, len);
	ret = ret ? ret : env_number("SLURM_ARRAY_TASK_MAX", UINT32_MAX, &max, &has_max, err, len);
	ret = ret ? ret : env_number("SLURM_ARRAY_TASK_STEP", UINT32_MAX, &step, &has_step,
				      err, len);
	if (ret || !has_id)
		return ret ? ret : 1; /* 1: not a Slurm array job */
	if (!has_count || count == 0)
		return refuse(err, len, "--shard auto: %s is set but %s is not", "SLURM_ARRAY_TASK_ID",
			      "SLURM_ARRAY_TASK_COUNT");
	if (!has_step || step == 0)
		step = 1;
	if (!has_max)
		max = min + (count - 1) * step;
	if (id < min || id > max || (id - min) % step || (max - min) / step + 1 != count ||
	    (max - min) % step)
		return refuse(err, len, "--shard auto: the Slurm array is not one range of ids "
			      "(%s; give --shard K/N)", getenv("SLURM_ARRAY_TASK_ID"));
	out->index = (uint32_t)((id - min) / step);
	out->count = (uint32_t)count;
	out->from = "SLURM_ARRAY_TASK_ID";
	return 0;
}

/* K of a Kubernetes Indexed Job; its count is not in the environment. */
static int from_kubernetes(struct shard *out, char *err, size_t len)
{
	uint64_t index;
	int has_index, ret = env_number("JOB_COMPLETION_INDEX", UINT32_MAX, &index, &has_index,
					err, len);

	if (ret || !has_index)
		return ret ? ret : 1;
	out->index = (uint32_t)index;
	out->count = 0;
	out->from = "JOB_COMPLETION_INDEX";
	return 0;
}

static int parse_count(const char *s, uint32_t *n, char *err, size_t len)
{
	uint64_t v;

	if (os_parse_uint(s, 1, SHARD_COUNT_MAX, &v))
		return refuse(err, len, "--shard: expected K/N, auto or auto/N with N from 1 to "
			      "1000000, got '%s'", s);
	*n = (uint32_t)v;
	return 0;
}

static int parse_auto(const char *count_text, struct shard *out, char *err, size_t len)
{
	uint32_t given = 0;
	int ret = count_text ? parse_count(count_text, &given, err, len) : 0;

	if (ret)
		return ret;
	ret = from_slurm(out, err, len);
	if (ret == 1)
		ret = from_kubernetes(out, err, len);
	if (ret == 1)
		return refuse(err, len, "--shard auto: neither %s nor %s is set (not a Slurm array "
			      "job or Indexed Job?)", "SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX");
	if (ret)
		return ret;
	if (!out->count && !given)
		return refuse(err, len, "--shard auto: %s gives no count: use --shard auto/N",
			      out->from);
	if (given && out->count && given != out->count) {
		char what[96];
		snprintf(what, sizeof(what), "%u but the array has %u tasks", given, out->count);
		return refuse(err, len, "--shard auto/N: N is %s (%s)", what, out->from);
	}
	if (given)
		out->count = given;
	if (out->index >= out->count) {
		char what[96];
		snprintf(what, sizeof(what), "%u, not below the count %u", out->index, out->count);
		return refuse(err, len, "--shard auto: %s is %s", out->from, what);
	}
	return 0;
}

int shard_parse(const char *arg, struct shard *out, char *err, size_t len)
{
	const char *slash = strchr(arg, '/');
	char k_text[16];
	uint64_t k;
	int ret;

	memset(out, 0, sizeof(*out));
	if (strcmp(arg, "auto") == 0)
		return parse_auto(NULL, out, err, len);
	if (strncmp(arg, "auto/", 5) == 0)
		return parse_auto(arg + 5, out, err, len);
	if (!slash || slash == arg || (size_t)(slash - arg) >= sizeof(k_text))
		return refuse(err, len, "--shard: expected K/N, auto or auto/N, got '%s'", arg);
	memcpy(k_text, arg, (size_t)(slash - arg));
	k_text[slash - arg] = '\0';
	ret = parse_count(slash + 1, &out->count, err, len);
	if (ret)
		return ret;
	if (os_parse_uint(k_text, 0, out->count - 1, &k))
		return refuse(err, len, "--shard: K must be a whole number from 0 to N-1, got "
			      "'%s'", arg);
	out->index = (uint32_t)k;
	out->from = "--shard";
	return 0;
}

int shard_expand(const char *in, const struct shard *s, const char *what, char **out,
		 char *err, size_t len)
{
	/* Two characters become at most 10 digits: 5 bytes out per byte in. */
	size_t used = 0;
	char *buf = malloc(5 * strlen(in) + 1), num[16];

	if (!buf)
		return -ENOMEM;
	for (const char *p = in; *p; p++) {
		const char *piece = p;
		size_t plen = 1;

		if (*p == '%') {
			if (p[1] == '%') {
				plen = 1;
			} else if ((p[1] == 'K' || p[1] == 'N') && s->count) {
				snprintf(num, sizeof(num), "%u", p[1] == 'K' ? s->index : s->count);
				piece = num;
				plen = strlen(num);
			} else {
				free(buf);
				if (p[1] == 'K' || p[1] == 'N')
					return refuse(err, len, "%s: %%K and %%N need --shard, got '%s'",
						      what, in);
				return refuse(err, len, "%s: only %%K, %%N and %%%% may follow %%, "
					      "got '%s'", what, in);
			}
			p++;
		}
		memcpy(buf + used, piece, plen);
		used += plen;
	}
	buf[used] = '\0';
	*out = buf;
	return 0;
}

int shard_select(struct tasklist *list, const struct shard *s)
{
	unsigned char *keep;
	int ret;

	if (!s->count || s->count == 1)
		return 0;
	keep = malloc(list->count ? list->count : 1);
	if (!keep)
		return -ENOMEM;
	for (uint32_t i = 0; i < list->count; i++)
		keep[i] = (tasklist_id(list, i) - 1) % s->count == s->index;
	ret = tasklist_keep(list, keep);
	free(keep);
	return ret;
}
