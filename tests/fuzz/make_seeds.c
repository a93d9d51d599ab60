/*
 * make_seeds.c: writes the seed corpora of the fuzz targets.
 *
 *   make_seeds OUTDIR
 *
 * creates OUTDIR/table/, OUTDIR/tasklist/ and OUTDIR/merge/ and fills them:
 *
 *  - table/: real table images, made by os_table_create itself (so the
 *    layout can never drift from the writer's) under a unique run name,
 *    copied out of the mapping and the object removed at once; then slots
 *    given states, pids, messages and a writer that died mid-section, the
 *    way the supervisor and workers leave them; then copies damaged in ways
 *    the validator must accept (unterminated log directory or command,
 *    overlapping strings, empty strings at the very end) or refuse.  Without
 *    these, random bytes almost never get past the magic and size checks.
 *  - tasklist/: task files around every rule of the format, including lines
 *    either side of the OS_CMD_MAX limit.
 *
 *  - merge/: "SUMMARY\0JOBLOG" pairs for fuzz_merge, the summary.json and
 *    job log written by the run's own writers (summary_write, joblog_start,
 *    joblog_append) into a temporary directory and read back, so the seeds
 *    follow the real format whatever it becomes; then hand-made variants
 *    (members reordered and unknown ones nested, CRLF, a header only, lines
 *    of the wrong shard, a summary with no job log).
 *
 * It needs /dev/shm (POSIX shared memory) and links the shm/ sources and
 * supervisor/summary.c and joblog.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logdir/joblog.h"
#include "logdir/logdir.h"
#include "logdir/summary.h"
#include "shm/slot.h"
#include "shm/state.h"
#include "shm/table.h"
#include "steer/proto.h"

static const char *outdir;
static unsigned table_seq;

static void die(const char *what, int err)
{
	fprintf(stderr, "make_seeds: %s: %s\n", what, strerror(err));
	exit(1);
}

static void write_file(const char *sub, const char *name, const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", outdir, sub, name);
	f = fopen(path, "wb");
	if (!f)
		die(path, errno);
	if ((n && fwrite(p, 1, n, f) != n) || fclose(f) != 0)
		die(path, errno);
}

static void make_dir(const char *sub)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", outdir, sub);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die(path, errno);
}

/* --- tables ---------------------------------------------------------------- */

struct image {
	char *base;
	size_t size;
};

/* A table made by os_table_create for CMDS; SETUP may then write its slots
 * as a supervisor or worker would.  The shm object is gone on return. */
static struct image make_table(uint32_t n, const char *const *cmds, const char *logdir,
			       uint32_t cap, void (*setup)(struct os_table *))
{
	char name[OS_NAME_MAX + 1], obj[128];
	uint32_t *lens = calloc(n, sizeof(*lens));
	struct os_table_spec spec;
	struct os_table t;
	struct image img;
	int err;

	if (!lens)
		die("calloc", ENOMEM);
	for (uint32_t i = 0; i < n; i++)
		lens[i] = (uint32_t)strlen(cmds[i]);
	snprintf(name, sizeof(name), "fuzz-seeds-%ld-%u", (long)getpid(), table_seq++);
	memset(&spec, 0, sizeof(spec));
	spec.name = name;
	spec.slot_count = n;
	spec.cap = cap;
	spec.cmds = cmds;
	spec.cmd_lens = lens;
	spec.logdir = logdir;
	spec.idle_after_ms = 5000;
	spec.grace_ms = 2000;
	err = os_table_create(&spec, &t);
	if (os_table_object_name(obj, sizeof(obj), geteuid(), name) == 0)
		shm_unlink(obj);
	if (err)
		die("os_table_create", -err);
	if (setup)
		setup(&t);
	img.size = t.size;
	img.base = malloc(t.size);
	if (!img.base)
		die("malloc", ENOMEM);
	memcpy(img.base, t.hdr, t.size);
	os_table_close(&t);
	free(lens);
	if (os_table_validate(img.base, img.size) != NULL)
		die("made an invalid table", EPROTO);
	return img;
}

static struct os_slot *img_slot(struct image *img, uint32_t i)
{
	return (struct os_slot *)(img->base + OS_HEADER_SIZE + (size_t)i * OS_SLOT_SIZE);
}

static struct os_header *img_hdr(struct image *img)
{
	return (struct os_header *)img->base;
}

/* Write IMG as table/NAME; EXPECT_VALID says what the validator must say. */
static void emit(struct image *img, const char *name, int expect_valid)
{
	const char *why = os_table_validate(img->base, img->size);

	if ((why == NULL) != expect_valid) {
		fprintf(stderr, "make_seeds: table seed %s: expected %s, validator says %s\n",
			name, expect_valid ? "valid" : "invalid", why ? why : "valid");
		exit(1);
	}
	write_file("table", name, img->base, img->size);
}

static struct image copy_of(const struct image *img)
{
	struct image c = { malloc(img->size), img->size };

	if (!c.base)
		die("malloc", ENOMEM);
	memcpy(c.base, img->base, img->size);
	return c;
}

static void set_slot(struct os_table *t, uint32_t i, uint32_t state, uint32_t reason,
		     int32_t exit_code, int32_t sig, const char *msg)
{
	struct os_slot *s = os_table_slot(t, i);

	os_slot_write_begin(s);
	atomic_store(&s->reason, reason);
	atomic_store(&s->worker_pid, 4000 + (int32_t)i);
	atomic_store(&s->task_pid, 5000 + (int32_t)i);
	atomic_store(&s->exit_code, exit_code);
	atomic_store(&s->term_signal, sig);
	atomic_store(&s->start_real_ns, INT64_C(1700000000000000000) + i);
	atomic_store(&s->end_real_ns, INT64_C(1700000001000000000) + i);
	atomic_store(&s->start_mono_ns, INT64_C(1000000000) + i);
	atomic_store(&s->end_mono_ns, INT64_C(2000000000) + i);
	atomic_store(&s->output_mono_ns, INT64_C(1500000000) + i);
	atomic_store(&s->output_bytes, 1234u * (i + 1));
	atomic_store(&s->attempt, 1u);
	if (msg)
		os_slot_set_message(s, msg);
	os_slot_write_end(s);
	atomic_store(&s->state, state);
}

static void setup_mixed(struct os_table *t)
{
	set_slot(t, 0, OS_COMPLETED, OS_REASON_NONE, 0, 0, NULL);
	set_slot(t, 1, OS_RUNNING, OS_REASON_NONE, -1, 0, NULL);
	set_slot(t, 2, OS_FAILED, OS_REASON_SETUP, -1, 0,
		 "cannot open log file: Permission denied (a message that is long "
		 "enough to be cut at ninety-five bytes, NUL included)");
	set_slot(t, 3, OS_INTERRUPTED, OS_REASON_TIMEOUT, -1, 15, "timed out after 10s");
	set_slot(t, 4, OS_IDLE, OS_REASON_NONE, -1, 0, "");
	atomic_store(&t->hdr->run_state, OS_RUN_STOPPING);
}

static void setup_dead_writer(struct os_table *t)
{
	set_slot(t, 0, OS_COMPLETED, OS_REASON_NONE, 1, 0, NULL);
	/* A worker killed inside its write section leaves the sequence odd. */
	os_slot_write_begin(os_table_slot(t, 1));
	atomic_store(&os_table_slot(t, 1)->state, OS_RUNNING);
	os_slot_write_begin(os_table_slot(t, 5));
	atomic_store(&t->hdr->run_state, OS_RUN_DONE);
	atomic_store(&t->hdr->exit_status, 1);
}

static void table_seeds(void)
{
	static const char *const one[] = { "true" };
	static const char *const five[] = {
		"make -j8 all",
		"sleep 1 && echo 'done \"quoted\"'",
		"x",
		"printf '%s\\n' a b c | sort -r > /dev/null",
		"\t# not a comment once in the table",
	};
	static const char *const empty[] = { "", "", "" };
	const char *many[48], *big[2];
	char *long_cmd;
	struct image img, c;

	img = make_table(1, one, "/tmp/oneshot-logs/run1", 1, NULL);
	emit(&img, "one-slot", 1);

	/* Damaged in ways the validator accepts but readers must survive. */
	c = copy_of(&img); /* log directory not NUL-terminated */
	c.base[img_hdr(&c)->logdir_off + img_hdr(&c)->logdir_len] = 'X';
	emit(&c, "one-slot-logdir-unterminated", 1);
	free(c.base);
	c = copy_of(&img); /* command not NUL-terminated */
	c.base[img_slot(&c, 0)->cmd_off + img_slot(&c, 0)->cmd_len] = '!';
	emit(&c, "one-slot-cmd-unterminated", 1);
	free(c.base);
	c = copy_of(&img); /* command and log directory share bytes */
	img_slot(&c, 0)->cmd_off = img_hdr(&c)->logdir_off + 1;
	img_slot(&c, 0)->cmd_len = img_hdr(&c)->logdir_len - 1;
	emit(&c, "one-slot-cmd-in-logdir", 1);
	free(c.base);
	c = copy_of(&img); /* empty strings on the very last byte */
	img_slot(&c, 0)->cmd_off = c.size - 1;
	img_slot(&c, 0)->cmd_len = 0;
	img_hdr(&c)->logdir_off = c.size - 1;
	img_hdr(&c)->logdir_len = 0;
	emit(&c, "one-slot-strings-at-end", 1);
	free(c.base);
	c = copy_of(&img); /* run name using all its bytes but the last */
	memset(img_hdr(&c)->name, 'n', sizeof(img_hdr(&c)->name) - 1);
	emit(&c, "one-slot-long-name", 1);
	free(c.base);
	c = copy_of(&img); /* an odd sequence: a writer died mid-section */
	atomic_store(&img_slot(&c, 0)->seq, 7u);
	emit(&c, "one-slot-odd-seq", 1);
	free(c.base);

	/* And a few the validator must refuse, one check each. */
	c = copy_of(&img);
	img_hdr(&c)->magic ^= 1;
	emit(&c, "bad-magic", 0);
	free(c.base);
	c = copy_of(&img);
	img_slot(&c, 0)->cmd_len = (uint32_t)(c.size - img_slot(&c, 0)->cmd_off);
	emit(&c, "bad-cmd-past-end", 0);
	free(c.base);
	c = copy_of(&img);
	img_hdr(&c)->logdir_off = img_hdr(&c)->strings_off - 1;
	emit(&c, "bad-logdir-in-slots", 0);
	free(c.base);
	c = copy_of(&img);
	memset(img_hdr(&c)->name, 'n', sizeof(img_hdr(&c)->name));
	emit(&c, "bad-name-unterminated", 0);
	free(c.base);
	c = copy_of(&img);
	c.size -= 1;
	emit(&c, "bad-cut-last-byte", 0);
	free(c.base);
	free(img.base);

	img = make_table(5, five, "/var/tmp/check logs/run 1", 3, setup_mixed);
	emit(&img, "five-mixed-states", 1);
	c = copy_of(&img);
	img_slot(&c, 3)->id = 3;
	img_slot(&c, 2)->id = 4;
	emit(&c, "bad-slot-ids-swapped", 0);
	free(c.base);
	free(img.base);

	img = make_table(3, empty, "", 1, NULL);
	emit(&img, "three-empty-commands", 1);
	free(img.base);

	for (unsigned i = 0; i < 48; i++)
		many[i] = (i % 3 == 0) ? "sleep 0.1" : (i % 3 == 1) ? "echo hello" : "false";
	img = make_table(48, many, "/srv/logs/oneshot/nightly-2024-01-01", 8, setup_dead_writer);
	emit(&img, "forty-eight-dead-writer", 1);
	free(img.base);

	long_cmd = malloc(3001);
	if (!long_cmd)
		die("malloc", ENOMEM);
	for (unsigned i = 0; i < 3000; i++)
		long_cmd[i] = (char)('a' + i % 26);
	long_cmd[3000] = '\0';
	big[0] = long_cmd;
	big[1] = "true";
	img = make_table(2, big, "/tmp/l", OS_CAP_MAX, NULL);
	emit(&img, "two-long-command", 1);
	free(img.base);
	free(long_cmd);
}

/* --- merge: summary.json + NUL + job log ----------------------------------- */

/* The whole file NAME of DIRFD, malloc'd, in *LEN. */
static char *slurp(int dirfd, const char *name, size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, n = 0;
	char *b = malloc(cap);
	ssize_t got;

	if (fd < 0)
		die(name, errno);
	if (!b)
		die("malloc", ENOMEM);
	while ((got = read(fd, b + n, cap - n)) > 0) {
		n += (size_t)got;
		if (n == cap && !(b = realloc(b, cap *= 2)))
			die("realloc", ENOMEM);
	}
	if (got < 0)
		die(name, errno);
	close(fd);
	*len = n;
	return b;
}

/* Seed NAME: SUM, a NUL, LOG (LOG NULL: the summary alone, no NUL). */
static void pair_seed(const char *name, const char *sum, size_t slen, const char *log,
		      size_t llen)
{
	char *b = malloc(slen + 1 + llen + 1);

	if (!b)
		die("malloc", ENOMEM);
	memcpy(b, sum, slen);
	b[slen] = '\0';
	if (log)
		memcpy(b + slen + 1, log, llen);
	write_file("merge", name, b, log ? slen + 1 + llen : slen);
	free(b);
}
#define PAIR(name, sum, log) pair_seed(name, sum, sizeof(sum) - 1, log, sizeof(log) - 1)

struct task_end {
	uint32_t id, state, attempt;
	int exit_code, term_signal;
	const char *cmd;
};

/* A log directory written by the writers, read back as seed NAME. */
static void written_seed(const char *tmp, const char *name, const struct summary *sum,
			 const struct task_end *t, size_t n)
{
	int dirfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd, err;
	char *stext, *ltext;
	size_t slen, llen;

	if (dirfd < 0)
		die(tmp, errno);
	if ((err = summary_write(dirfd, sum)))
		die("summary_write", -err);
	fd = openat(dirfd, "joblog", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die("joblog", errno);
	if ((err = joblog_start(fd)))
		die("joblog_start", -err);
	for (size_t i = 0; i < n; i++) {
		struct os_slot_view v = {
			.id = t[i].id, .state = t[i].state, .attempt = t[i].attempt,
			.exit_code = t[i].exit_code, .term_signal = t[i].term_signal,
			.start_real_ns = 1795299248072000000LL + (int64_t)i * 1000000,
			.end_real_ns = 1795299249000000000LL,
			.start_mono_ns = 1000, .end_mono_ns = 1000 + (int64_t)i * 2500000,
			.output_bytes = i * 1000,
			.reason = t[i].state == OS_INTERRUPTED ? OS_REASON_TIMEOUT : OS_REASON_NONE,
		};

		if ((err = joblog_append(fd, JOBLOG_V2, &v, t[i].cmd, (uint32_t)strlen(t[i].cmd))))
			die("joblog_append", -err);
	}
	close(fd);
	stext = slurp(dirfd, "summary.json", &slen);
	ltext = slurp(dirfd, "joblog", &llen);
	pair_seed(name, stext, slen, ltext, llen);
	free(stext);
	free(ltext);
	unlinkat(dirfd, "summary.json", 0);
	unlinkat(dirfd, "joblog", 0);
	close(dirfd);
}

#define HDR "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tState\t" \
	"Attempt\tCommand\n"

static void merge_seeds(void)
{
	static const struct task_end shard2[] = {
		{ 3, OS_COMPLETED, 1, 0, 0, "make -C a" },
		{ 7, OS_FAILED, 1, 2, 0, "printf 'a\tb'\t x" },
		{ 11, OS_INTERRUPTED, 1, -1, 9, "sleep 99" },
		{ 7, OS_COMPLETED, 2, 0, 0, "printf 'a\tb'\t x" },
		{ 15, OS_FAILED, 3, -1, 15, "kill -TERM $$" },
	};
	static const struct task_end whole[] = {
		{ 1, OS_COMPLETED, 1, 0, 0, "true" },
		{ 2, OS_FAILED, 1, 255, 0, "exit 255" },
		{ 3, OS_INTERRUPTED, 1, -1, 127, "x" },
		{ 4, OS_COMPLETED, 1, 0, 0, "echo \xc3\xa9 \x1b[1m" },
	};
	struct summary sharded = { .name = "nightly.2", .supervisor_pid = 4242, .exit_status = 1,
				   .total = 5, .completed = 2, .failed = 2, .interrupted = 1,
				   .listed = 20, .retried = 2, .shard_index = 2, .shard_count = 4,
				   .start_real_ns = 1795299248000000000LL,
				   .end_real_ns = 1795299250000000000LL };
	struct summary single = { .name = "run", .supervisor_pid = 1, .exit_status = 130,
				  .stop_signal = 2, .total = 4, .completed = 2, .failed = 1,
				  .interrupted = 1, .listed = 5, .not_started = 1 };
	static const char alone[] =
		"{\"host\": \"h\", \"exit_status\": 0, \"shard\": null, \"listed\": 1}";
	char tmp[4096];

	snprintf(tmp, sizeof(tmp), "%s/merge.tmp.XXXXXX", outdir);
	if (!mkdtemp(tmp))
		die(tmp, errno);
	written_seed(tmp, "written-shard-2-of-4", &sharded, shard2, 5);
	written_seed(tmp, "written-unsharded", &single, whole, 4);
	written_seed(tmp, "written-header-only", &single, whole, 0);
	single.listed = 4294967295u;
	written_seed(tmp, "written-listed-max", &single, whole, 1);
	if (rmdir(tmp) < 0)
		die(tmp, errno);

	PAIR("tolerant-members", "{\"listed\":40,\"future\":{\"a\":[1,2.5e3,{\"b\":null}],"
	     "\"c\":\"x\\\"y\"},\"shard\":{\"count\":4,\"index\":3},"
	     "\"stopped_by_signal\":null,\"exit_status\":0,\"host\":\"node-7.example\"}\n\n",
	     HDR "4\t:\t1.5\t0.25\t0\t3\t0\t0\tCOMPLETED\t1\techo 4\n"
	     "8\t:\t1\t2\t0\t18446744073709551\t-1\t127\tINTERRUPTED\t4294967295\tx\n");
	PAIR("crlf", "{\r\n\"host\": \"h\",\r\n\"exit_status\": 0,\r\n\"shard\": null,\r\n"
	     "\"listed\": 2\r\n}\r\n",
	     "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tState\t"
	     "Attempt\tCommand\r\n1\t:\t1\t1\t0\t0\t0\t0\tCOMPLETED\t1\tx\r\n");
	PAIR("wrong-shard", "{\"host\": \"h\", \"exit_status\": 0, \"shard\": {\"index\": 1, "
	     "\"count\": 3}, \"listed\": 8}",
	     HDR "2\t:\t1\t1\t0\t0\t0\t0\tCOMPLETED\t1\tx\n"
	     "4\t:\t1\t1\t0\t0\t0\t0\tFAILED\t1\tx\n");
	PAIR("no-final-newline", "{\"host\": \"h\", \"exit_status\": 0, \"shard\": null, "
	     "\"listed\": 1}", HDR "1\t:\t1\t1\t0\t0\t0\t0\tCOMPLETED\t1\tx");
	pair_seed("summary-alone", alone, strlen(alone), NULL, 0);
	PAIR("empty", "", "");
}

/* --- task files ----------------------------------------------------------- */

static void text_seed(const char *name, const char *text, size_t len)
{
	write_file("tasklist", name, text, len);
}
#define TEXT(name, lit) text_seed(name, lit, sizeof(lit) - 1)

/* A file of one line of N bytes ('a'..), then END (NUL-free). */
static void long_line_seed(const char *name, const char *prefix, size_t n, const char *end)
{
	size_t plen = strlen(prefix), elen = strlen(end);
	char *b = malloc(plen + n + elen);

	if (!b)
		die("malloc", ENOMEM);
	memcpy(b, prefix, plen);
	for (size_t i = 0; i < n; i++)
		b[plen + i] = (char)('a' + i % 26);
	memcpy(b + plen + n, end, elen);
	text_seed(name, b, plen + n + elen);
	free(b);
}

static void tasklist_seeds(void)
{
	TEXT("simple", "make all\nmake check\n./deploy.sh --dry-run\n");
	TEXT("comments-blanks", "# nightly jobs\n\n   \n\t# indented comment\necho a # not a comment\n"
	     "  \t  \n\tsleep 1\n#last\n");
	TEXT("crlf", "echo one\r\necho two\r\n\r\n# c\r\necho three\r\n");
	TEXT("no-final-newline", "echo a\necho b");
	TEXT("no-final-newline-cr", "echo a\necho b\r");
	TEXT("cr-alone", "\r\n\r\r\n a\r\r\n\r");
	TEXT("only-comments", "# one\n   # two\n\n\t\n");
	TEXT("empty", "");
	TEXT("newlines-only", "\n\n\n\n");
	TEXT("nul-byte", "echo a\necho \0b\necho c\n");
	TEXT("nul-first", "\0");
	TEXT("one-char", "x");
	TEXT("hash-inside", "echo '#'\n#echo\n x#y\n");
	TEXT("quotes-and-escapes", "sh -c 'echo \"$HOME\"' \\\n\techo \\\\n \x1b[31mred\x1b[0m \xff\xfe\n");
	long_line_seed("line-at-limit", "echo start\n", OS_CMD_MAX, "\nlast\n");
	long_line_seed("line-over-limit", "echo start\n", OS_CMD_MAX + 1, "\nlast\n");
	long_line_seed("line-at-limit-crlf", "", OS_CMD_MAX, "\r\n");
	long_line_seed("comment-over-limit", "#", OS_CMD_MAX + 5, "\necho ok\n");
}

/* One valid record of each kind, as the worker and oneshot-ctl write them. */
static void steer_seeds(void)
{
	static const struct {
		const char *name;
		struct steer_msg m;
	} seeds[] = {
		{ "hello-input", { .type = STEER_HELLO, .flags = STEER_F_INPUT } },
		{ "hello-attach", { .type = STEER_HELLO, .flags = STEER_F_ALL, .rows = 30, .cols = 100 } },
		{ "hello-watch", { .type = STEER_HELLO } },
		{ "resize", { .type = STEER_RESIZE, .rows = 4096, .cols = 1 } },
		{ "reply", { .type = STEER_REPLY, .rows = 24, .cols = 80 } },
		{ "reply-refused", { .type = STEER_REPLY, .status = -3 } },
	};
	unsigned char rec[STEER_MSG_SIZE];

	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		steer_msg_encode(&seeds[i].m, rec);
		write_file("steer", seeds[i].name, (const char *)rec, sizeof(rec));
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: make_seeds OUTDIR\n");
		return 2;
	}
	outdir = argv[1];
	if (mkdir(outdir, 0755) < 0 && errno != EEXIST)
		die(outdir, errno);
	make_dir("table");
	make_dir("tasklist");
	make_dir("merge");
	make_dir("steer");
	steer_seeds();
	table_seeds();
	tasklist_seeds();
	merge_seeds();
	return 0;
}
