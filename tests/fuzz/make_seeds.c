/*
 * make_seeds.c: writes the seed corpora of the two fuzz targets.
 *
 *   make_seeds OUTDIR
 *
 * creates OUTDIR/table/ and OUTDIR/tasklist/ and fills them:
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
 * It needs /dev/shm (POSIX shared memory) and links the shm/ sources.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "slot.h"
#include "table.h"

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
	table_seeds();
	tasklist_seeds();
	return 0;
}
