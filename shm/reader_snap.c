/*
 * reader_snap.c: private, consistent copies of a run's table.
 *
 * Everything oneshot-ps prints comes from a copy made here, behind the
 * SIGBUS guard: slots through the seqlock snapshot (never a torn slot, never
 * a wait on a writer), commands out of one copy of the string area.  Every
 * header field used is re-checked against the mapping's size as it is copied,
 * because the object may have been replaced by a new run since it was
 * validated; the run's identity is compared before and after the copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shm/reader.h"
#include "shm/state.h"
#include "shm/util.h"

#define OPEN_TRIES 5       /* a table replaced while being copied */
#define CREATE_TRIES 50    /* a live run's table not published yet: 1 s */
#define RETRY_NS 20000000L /* 20 ms between tries over a changing table */
/*
 * A slot whose writer is stuck inside its section (stopped, or dead there,
 * or a corrupt sequence word) costs os_slot_snapshot its whole retry budget,
 * about 2 ms.  After this many such slots in one copy, a slot whose sequence
 * is odd is taken as busy at once, so a table full of them still reads fast.
 */
#define PATIENT_SLOTS 8

static void gen_read(const struct os_header *h, struct os_gen *gen)
{
	gen->start_real_ns = h->start_real_ns;
	gen->start_mono_ns = h->start_mono_ns;
	gen->supervisor_pid = h->supervisor_pid;
}

/* 1 if the mapping still holds a published table of run GEN and SIZE bytes. */
static int gen_same(const struct os_table *t, const struct os_gen *gen)
{
	const struct os_header *h = t->hdr;
	struct os_gen now;

	if (atomic_load_explicit(&((struct os_header *)h)->magic, memory_order_acquire) !=
	    OS_TABLE_MAGIC || h->table_size != t->size)
		return 0;
	gen_read(h, &now);
	return now.start_real_ns == gen->start_real_ns &&
	       now.start_mono_ns == gen->start_mono_ns &&
	       now.supervisor_pid == gen->supervisor_pid;
}

struct open_ctx {
	uid_t uid;
	const char *name;
	struct os_table *t;
	struct os_gen *gen;
	const char *why;
};

static int open_guarded(void *arg)
{
	struct open_ctx *c = arg;
	int err = os_table_open(c->uid, c->name, c->t, &c->why);

	if (!err)
		gen_read(c->t->hdr, c->gen);
	return err;
}

static void nap(void)
{
	struct timespec ts = { 0, RETRY_NS };

	nanosleep(&ts, NULL);
}

/*
 * 1 if a process holds run NAME's lock: an invalid table is then one being
 * created or replaced right now, worth another look.  A dead invalid table
 * stays invalid.
 */
static int object_locked(uid_t uid, const char *name)
{
	char objname[96];
	struct flock fl;
	int fd, locked;

	if (os_table_object_name(objname, sizeof(objname), uid, name))
		return 0;
	/* O_NONBLOCK: a FIFO planted under the name must not block us. */
	fd = shm_open(objname, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	locked = fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
	close(fd);
	return locked;
}

/*
 * 0 if run NAME's object is a regular file, -EPERM if it is anything else,
 * -ENOENT or -errno.  Anyone can create names in /dev/shm: opening a FIFO
 * planted there for reading would block forever, so look before opening.
 */
static int object_regular(uid_t uid, const char *name)
{
	char entry[96];
	struct stat st;
	int dfd, err;

	err = os_table_object_name(entry, sizeof(entry), uid, name);
	if (err)
		return err;
	dfd = open(OS_SHM_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	err = fstatat(dfd, entry + 1, &st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
	close(dfd);
	if (!err && !S_ISREG(st.st_mode))
		err = -EPERM;
	return err;
}

int os_run_open(uid_t uid, const char *name, struct os_table *t, struct os_gen *gen,
		const char **why)
{
	struct open_ctx c = { uid, name, t, gen, NULL };
	int err = -EPROTO;

	for (int tries = 0; tries < CREATE_TRIES; tries++) {
		if (tries)
			nap();
		memset(t, 0, sizeof(*t));
		t->fd = -1;
		t->events_fd = -1;
		c.why = NULL;
		err = object_regular(uid, name);
		if (err) {
			if (err == -EPERM)
				c.why = "not a regular file";
			break;
		}
		err = os_guard_call(open_guarded, &c);
		if (err == -EFAULT) {
			/* Truncated while being validated: the mapping is still ours. */
			os_table_close(t);
			c.why = "table truncated while being read";
			err = -EPROTO;
			if (tries >= OPEN_TRIES)
				break;
			continue;
		}
		/* Invalid now may be a table being created or replaced: look again. */
		if (err != -EPROTO || !object_locked(uid, name))
			break;
	}
	*why = c.why;
	return err;
}

struct load_ctx {
	const struct os_table *t;
	const struct os_gen *gen;
	unsigned flags;
	struct os_run *r;
	const char *why;
	unsigned busy;     /* slots found busy so far */
	uint32_t slots;    /* the table's */
};

/* The header fields a snapshot keeps, re-checked against the mapping. */
static int load_header(struct load_ctx *c)
{
	const struct os_header *h = c->t->hdr;
	struct os_run *r = c->r;
	struct os_header *w = (struct os_header *)h; /* atomics: loads only */
	uint64_t strings_off = h->strings_off, strings_size = h->strings_size;
	int sval;

	c->slots = h->slot_count;
	r->total = r->slots = c->slots;
	if (!gen_same(c->t, c->gen) || c->slots > OS_SLOTS_MAX ||
	    strings_off != OS_HEADER_SIZE + (uint64_t)c->slots * OS_SLOT_SIZE ||
	    strings_off > c->t->size || strings_size > c->t->size - strings_off) {
		c->why = "table replaced while being read";
		return -ESTALE;
	}
	r->supervisor_pid = h->supervisor_pid;
	r->cap = h->cap;
	r->run_state = atomic_load_explicit(&w->run_state, memory_order_acquire);
	r->exit_status = atomic_load_explicit(&w->exit_status, memory_order_relaxed);
	r->start_real_ns = h->start_real_ns;
	r->start_mono_ns = h->start_mono_ns;
	r->end_real_ns = atomic_load_explicit(&w->end_real_ns, memory_order_relaxed);
	r->end_mono_ns = atomic_load_explicit(&w->end_mono_ns, memory_order_relaxed);
	r->idle_after_ms = h->idle_after_ms;
	r->idle_timeout_ms = h->idle_timeout_ms;
	r->timeout_ms = h->timeout_ms;
	r->grace_ms = h->grace_ms;
	r->retries = h->retries;
	if (h->flags & OS_RUN_QUEUE) {
		/* A queue's table is a window: its header counts every task. */
		r->queue = 1;
		r->queue_open = atomic_load_explicit(&w->queue_open, memory_order_relaxed) != 0;
		r->next_id = atomic_load_explicit(&w->next_id, memory_order_acquire);
		for (int i = 0; i < OS_STATE_COUNT; i++)
			r->counts[i] = atomic_load_explicit(&w->counts[i], memory_order_relaxed);
		r->total = os_table_tasks(h);
		r->ntasks = 0;
	}
	if (r->run_state > OS_RUN_DONE) {
		c->why = "run state out of range";
		return -EPROTO;
	}
	r->tokens_free = -1;
	if (sem_getvalue(&w->cap_tokens.sem, &sval) == 0 && sval >= 0 &&
	    (uint32_t)sval <= r->cap)
		r->tokens_free = sval;
	r->strings_len = (size_t)strings_size;
	return 0;
}

static int load_logdir(struct load_ctx *c)
{
	const char *dir = os_table_logdir(c->t);
	const char *nul;
	size_t room;

	if (!dir)
		return 0; /* shown as unknown; not needed for a listing */
	/* Its length field may change under us: bound by the mapping instead. */
	room = c->t->size - (size_t)(dir - (const char *)c->t->hdr);
	nul = memchr(dir, '\0', room < 4096 ? room : 4096);
	if (!nul)
		return 0;
	c->r->logdir = malloc((size_t)(nul - dir) + 1);
	if (!c->r->logdir)
		return -ENOMEM;
	memcpy(c->r->logdir, dir, (size_t)(nul - dir) + 1);
	return 0;
}

/* State words only: enough for counts. */
static int load_counts(struct load_ctx *c)
{
	struct os_run *r = c->r;

	if (r->queue)
		return 0; /* from the header (load_header) */
	for (uint32_t i = 0; i < r->total; i++) {
		struct os_slot *s = os_table_slot(c->t, i);
		uint32_t st = atomic_load_explicit(&s->state, memory_order_relaxed);

		if (st >= OS_STATE_COUNT) {
			c->why = "task state out of range";
			return -EPROTO;
		}
		r->counts[st]++;
	}
	return 0;
}

/* One slot into K, its command located in the copied string area. */
static int load_task(struct load_ctx *c, uint32_t i, struct os_task *k)
{
	const struct os_slot *s = os_table_slot(c->t, i);
	const char *area = (const char *)c->t->hdr + OS_HEADER_SIZE + (size_t)c->r->total * OS_SLOT_SIZE;
	const char *cmd;
	uint32_t len = 0;

	uint32_t seq = atomic_load_explicit(&((struct os_slot *)s)->seq, memory_order_acquire);

	if (((seq & 1u) && c->busy >= PATIENT_SLOTS) || os_slot_snapshot(s, &k->v) < 0) {
		/* A writer is stopped or died inside its section: show what is
		 * atomic on its own, the state word, and nothing torn. */
		memset(&k->v, 0, sizeof(k->v));
		k->v.id = s->id;
		k->v.state = atomic_load_explicit(&((struct os_slot *)s)->state,
						  memory_order_acquire);
		k->v.exit_code = -1;
		k->busy = 1;
		c->busy++;
	}
	if (k->v.id <= (i ? k[-1].v.id : 0)) {
		c->why = "slot id out of sequence";
		return -ESTALE;
	}
	if (k->v.state >= OS_STATE_COUNT) {
		c->why = "task state out of range";
		return -EPROTO;
	}
	cmd = os_slot_command(c->t, s, &len);
	if (!cmd || cmd < area || (size_t)(cmd - area) > c->r->strings_len ||
	    len >= c->r->strings_len - (size_t)(cmd - area)) {
		c->why = "command out of bounds";
		return -EPROTO;
	}
	k->cmd_pos = (size_t)(cmd - area);
	k->cmd_len = len;
	k->slot = i;
	c->r->counts[k->v.state]++;
	return 0;
}

static int by_id(const void *a, const void *b)
{
	uint32_t x = ((const struct os_task *)a)->v.id, y = ((const struct os_task *)b)->v.id;

	return x < y ? -1 : x > y;
}

/* Append LEN bytes of CMD (and a NUL) to R's strings; its position. */
static int keep_command(struct os_run *r, size_t *room, const char *cmd, uint32_t len,
			size_t *pos)
{
	if (r->strings_len + len + 1 > *room) {
		size_t want = (*room ? *room * 2 : 65536) + len + 1;
		char *grown = realloc(r->strings, want);

		if (!grown)
			return -ENOMEM;
		r->strings = grown;
		*room = want;
	}
	*pos = r->strings_len;
	memcpy(r->strings + r->strings_len, cmd, len);
	r->strings[r->strings_len + len] = '\0';
	r->strings_len += len + 1;
	return 0;
}

/* A queue's table: each used slot with its command from the same moment
 * (slots are reused), then sorted by id, since reuse keeps no order. */
static int load_queue_tasks(struct load_ctx *c)
{
	struct os_run *r = c->r;
	char *cmd = malloc(OS_CMD_MAX + 1);
	size_t room = 0;
	int err = 0;

	r->tasks = calloc(c->slots, sizeof(*r->tasks));
	r->strings_len = 0;
	if (!cmd || !r->tasks) {
		free(cmd);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < c->slots && !err; i++) {
		struct os_task *k = &r->tasks[r->ntasks];
		const struct os_slot *s = os_table_slot(c->t, i);
		uint32_t len = 0, seq = atomic_load_explicit(&((struct os_slot *)s)->seq,
						    memory_order_acquire);

		memset(k, 0, sizeof(*k)); /* an entry left by a slot skipped */
		if ((c->why = os_queue_slot_check(c->t->hdr, i))) {
			err = -EPROTO;
			break;
		}
		/* Its writer is in a section (a worker slowed down, a slot
		 * being reused) or stuck: shown busy, as a batch's slot is,
		 * with what is atomic on its own.  After a few stuck ones, an
		 * odd sequence is taken as stuck at once. */
		if (((seq & 1u) && c->busy >= PATIENT_SLOTS) ||
		    os_slot_snapshot_command(c->t, s, &k->v, cmd, &len) < 0) {
			memset(&k->v, 0, sizeof(k->v));
			k->v.id = __atomic_load_n(&s->id, __ATOMIC_RELAXED);
			k->v.state = atomic_load_explicit(&((struct os_slot *)s)->state,
							  memory_order_acquire);
			k->v.exit_code = -1;
			k->busy = 1;
			len = 0;
			c->busy++;
		}
		if (k->v.id == 0)
			continue;
		if (k->v.state >= OS_STATE_COUNT) {
			c->why = "task state out of range";
			err = -EPROTO;
			break;
		}
		k->cmd_len = len;
		k->slot = i;
		err = keep_command(r, &room, cmd, len, &k->cmd_pos);
		r->ntasks++;
	}
	free(cmd);
	if (!err)
		qsort(r->tasks, r->ntasks, sizeof(*r->tasks), by_id);
	return err;
}

static int load_tasks(struct load_ctx *c)
{
	struct os_run *r = c->r;

	if (r->queue)
		return load_queue_tasks(c);
	const char *area = (const char *)c->t->hdr + OS_HEADER_SIZE + (size_t)r->total * OS_SLOT_SIZE;
	int err;

	r->tasks = calloc(r->total, sizeof(*r->tasks));
	r->strings = malloc(r->strings_len ? r->strings_len : 1);
	if (!r->tasks || !r->strings)
		return -ENOMEM;
	r->ntasks = r->total;
	/* The string area is written once, before the table is published. */
	memcpy(r->strings, area, r->strings_len);
	for (uint32_t i = 0; i < r->total; i++) {
		err = load_task(c, i, &r->tasks[i]);
		if (err)
			return err;
	}
	return 0;
}

static int load_guarded(void *arg)
{
	struct load_ctx *c = arg;
	int err = load_header(c);

	if (!err)
		err = load_logdir(c);
	if (!err && (c->flags & OS_LOAD_TASKS))
		err = load_tasks(c);
	else if (!err && (c->flags & OS_LOAD_COUNTS))
		err = load_counts(c);
	if (!err) {
		int live = os_table_is_live(c->t);

		c->r->alive = live > 0;
		if (live < 0)
			err = live;
	}
	if (!err && !gen_same(c->t, c->gen)) {
		c->why = "table replaced while being read";
		err = -ESTALE;
	}
	return err;
}

int os_run_load(const struct os_table *t, uid_t uid, const char *name,
		const struct os_gen *gen, unsigned flags, struct os_run *r, const char **why)
{
	struct load_ctx c = { t, gen, flags, r, NULL, 0, 0 };
	int err;

	memset(r, 0, sizeof(*r));
	r->uid = uid;
	r->tokens_free = -1;
	/* The object's name, not the header's copy: it is already checked. */
	strcpy(r->name, name);
	err = os_guard_call(load_guarded, &c);
	if (err == -EFAULT) {
		c.why = "table truncated while being read";
		err = -ESTALE;
	}
	r->now_real_ns = os_now_real_ns();
	r->now_mono_ns = os_now_mono_ns();
	*why = c.why;
	return err;
}

int os_run_snapshot(uid_t uid, const char *name, unsigned flags, struct os_run *r,
		    const char **why)
{
	struct os_table t;
	struct os_gen gen;
	int err = -ESTALE;

	memset(r, 0, sizeof(*r));
	for (int tries = 0; tries < OPEN_TRIES; tries++) {
		if (tries)
			nap();
		err = os_run_open(uid, name, &t, &gen, why);
		if (err)
			return err;
		err = os_run_load(&t, uid, name, &gen, flags, r, why);
		os_table_close(&t);
		if (err != -ESTALE)
			break;
		os_run_free(r);
	}
	if (err == -ESTALE)
		err = -EPROTO;
	return err;
}

void os_run_free(struct os_run *r)
{
	free(r->logdir);
	free(r->tasks);
	free(r->strings);
	r->logdir = NULL;
	r->tasks = NULL;
	r->strings = NULL;
}

struct status_ctx {
	const struct os_table *t;
	const struct os_gen *gen;
	struct os_status *st;
};

static int status_guarded(void *arg)
{
	struct status_ctx *c = arg;
	struct os_header *h = c->t->hdr;
	int live;

	if (!gen_same(c->t, c->gen))
		return -ESTALE;
	c->st->run_state = atomic_load_explicit(&h->run_state, memory_order_acquire);
	c->st->exit_status = atomic_load_explicit(&h->exit_status, memory_order_relaxed);
	live = os_table_is_live(c->t);
	if (live < 0)
		return live;
	c->st->alive = live;
	if (live == 0) {
		/* The run may have finished between the two reads. */
		c->st->run_state = atomic_load_explicit(&h->run_state, memory_order_acquire);
		c->st->exit_status = atomic_load_explicit(&h->exit_status, memory_order_relaxed);
	}
	return gen_same(c->t, c->gen) ? 0 : -ESTALE;
}

int os_run_status(const struct os_table *t, const struct os_gen *gen, struct os_status *st)
{
	struct status_ctx c = { t, gen, st };
	int err = os_guard_call(status_guarded, &c);

	return err == -EFAULT ? -ESTALE : err;
}

int64_t os_task_elapsed(const struct os_run *r, const struct os_task *k)
{
	int64_t end;

	if (k->v.start_mono_ns <= 0)
		return -1;
	end = k->v.end_mono_ns > 0 ? k->v.end_mono_ns : r->now_mono_ns;
	return end > k->v.start_mono_ns ? end - k->v.start_mono_ns : 0;
}

int64_t os_task_silent(const struct os_run *r, const struct os_task *k)
{
	int64_t last, end;

	if (k->v.start_mono_ns <= 0)
		return -1;
	last = k->v.output_mono_ns > k->v.start_mono_ns ? k->v.output_mono_ns
							: k->v.start_mono_ns;
	end = k->v.end_mono_ns > 0 ? k->v.end_mono_ns : r->now_mono_ns;
	return end > last ? end - last : 0;
}

int64_t os_run_elapsed(const struct os_run *r)
{
	int64_t end;

	if (r->run_state == OS_RUN_DONE && r->end_mono_ns > 0)
		end = r->end_mono_ns;
	else if (r->alive)
		end = r->now_mono_ns;
	else
		return -1; /* supervisor killed: no end was recorded */
	return end > r->start_mono_ns ? end - r->start_mono_ns : 0;
}

int os_run_jobs_in_use(const struct os_run *r)
{
	return r->tokens_free < 0 ? -1 : (int)r->cap - r->tokens_free;
}

struct task_ctx {
	const struct os_table *t;
	const struct os_gen *gen;
	uint32_t id, index;
	struct os_slot_view *v;
};

/* A queue's slots are in no order, and one may be reused under us: look
 * at each, and believe an id only from a consistent snapshot. */
static int queue_task(struct task_ctx *c)
{
	int busy = 0;

	if (c->id == 0)
		return -ENOENT; /* the id of a slot never used, no task's */
	for (uint32_t i = 0; i < c->t->hdr->slot_count; i++) {
		const struct os_slot *s = os_table_slot(c->t, i);

		if (__atomic_load_n(&s->id, __ATOMIC_RELAXED) != c->id)
			continue;
		if (os_slot_snapshot(s, c->v) < 0) {
			busy = 1;
			continue;
		}
		if (c->v->id == c->id) {
			c->index = i;
			return 0;
		}
	}
	return busy ? -EAGAIN : -ENOENT;
}

/* Slot ids are strictly increasing (validate.c checks it): a binary search. */
static int task_guarded(void *arg)
{
	struct task_ctx *c = arg;
	uint32_t lo = 0, hi = c->t->hdr->slot_count;

	if (!gen_same(c->t, c->gen))
		return -ESTALE;
	if (c->t->hdr->flags & OS_RUN_QUEUE)
		return queue_task(c);
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2, id = os_table_slot(c->t, mid)->id;

		if (id == c->id) {
			c->index = mid;
			return os_slot_snapshot(os_table_slot(c->t, mid), c->v);
		}
		if (id < c->id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -ENOENT;
}

int os_run_task(const struct os_table *t, const struct os_gen *gen, uint32_t id,
		struct os_slot_view *v, uint32_t *index)
{
	struct task_ctx c = { t, gen, id, 0, v };
	int err = os_guard_call(task_guarded, &c);

	if (!err && index)
		*index = c.index;
	return err;
}
