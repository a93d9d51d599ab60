/*
 * table.c: creating, locking, mapping and opening run tables.
 *
 * The run's liveness is an open-file-description lock on the table object
 * itself, held by the supervisor (and inherited by its workers) for the run's
 * lifetime.  A new run locks the object before it touches it, so a dead run's
 * table is replaced in place and a live one is never disturbed; readers test
 * the lock with F_OFD_GETLK, which takes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shm/state.h"
#include "shm/table.h"
#include "shm/util.h"

static int ofd_lock(int fd, short type, int cmd, struct flock *fl)
{
	memset(fl, 0, sizeof(*fl));
	fl->l_type = type;
	fl->l_whence = SEEK_SET;
	return fcntl(fd, cmd, fl) < 0 ? -errno : 0;
}

/* Owner, mode and type that a table object must have; -EPERM otherwise. */
static int check_object(int fd, uid_t uid)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != uid || (st.st_mode & 07777) != 0600)
		return -EPERM;
	return 0;
}

/* Open (creating if needed) and lock the object for a new run. */
static int open_for_run(const char *objname, uid_t uid)
{
	int fd = shm_open(objname, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	struct flock fl;
	int err;

	if (fd >= 0) {
		/* umask may have cleared bits: the mode is part of the contract. */
		if (fchmod(fd, 0600) < 0)
			goto fail_errno;
	} else if (errno == EEXIST) {
		/* O_NONBLOCK: a FIFO planted under the name must not hang us;
		 * check_object refuses anything but a regular file. */
		fd = shm_open(objname, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0);
		/* Ours but not writable (a mode changed under us): the wrong
		 * mode, as check_object says to root, who gets it open. */
		if (fd < 0)
			return errno == EACCES ? -EPERM : -errno;
	} else {
		return -errno;
	}
	err = check_object(fd, uid);
	if (err)
		goto fail;
	err = ofd_lock(fd, F_WRLCK, F_OFD_SETLK, &fl);
	if (err == -EAGAIN || err == -EACCES)
		err = -EBUSY;
	if (err)
		goto fail;
	return fd;
fail_errno:
	err = -errno;
fail:
	close(fd);
	return err;
}

static int is_queue(const struct os_table_spec *spec)
{
	return (spec->flags & OS_RUN_QUEUE) != 0;
}

/* Slots the table has: a queue's are more than the tasks it starts with. */
static uint32_t slots_of(const struct os_table_spec *spec)
{
	return is_queue(spec) ? spec->queue_size : spec->slot_count;
}

uint64_t os_queue_logdir_room(uint32_t logdir_len)
{
	return ((uint64_t)logdir_len + 1 + 4095) & ~UINT64_C(4095);
}

uint32_t os_table_tasks(const struct os_header *h)
{
	uint32_t sum = 0;

	if (!(h->flags & OS_RUN_QUEUE))
		return h->slot_count;
	for (int i = 0; i < OS_STATE_COUNT; i++)
		sum += atomic_load_explicit(&((struct os_header *)h)->counts[i],
					    memory_order_relaxed);
	return sum;
}

static uint64_t strings_needed(const struct os_table_spec *spec)
{
	uint64_t total = strlen(spec->logdir) + 1;

	if (is_queue(spec))
		return os_queue_logdir_room((uint32_t)strlen(spec->logdir)) +
		       (uint64_t)spec->queue_size * OS_QUEUE_BOX;

	for (uint32_t i = 0; i < spec->slot_count; i++)
		total += (uint64_t)spec->cmd_lens[i] + 1;
	return total;
}

static void fill_header(struct os_header *h, const struct os_table_spec *spec,
			size_t size, uint64_t strings_size)
{
	h->version = OS_TABLE_VERSION;
	h->header_size = OS_HEADER_SIZE;
	h->slot_size = OS_SLOT_SIZE;
	h->slot_count = slots_of(spec);
	h->cap = spec->cap;
	h->supervisor_pid = (int32_t)getpid();
	h->owner_uid = (uint32_t)geteuid();
	h->start_real_ns = os_now_real_ns();
	h->start_mono_ns = os_now_mono_ns();
	h->table_size = size;
	h->strings_off = OS_HEADER_SIZE + (uint64_t)slots_of(spec) * OS_SLOT_SIZE;
	h->strings_size = strings_size;
	h->idle_after_ms = spec->idle_after_ms;
	h->idle_timeout_ms = spec->idle_timeout_ms;
	h->timeout_ms = spec->timeout_ms;
	h->grace_ms = spec->grace_ms;
	h->retries = spec->retries;
	h->flags = spec->flags;
	h->pty_rows = spec->pty_rows;
	h->pty_cols = spec->pty_cols;
	atomic_store(&h->exit_status, -1);
	atomic_store(&h->counts[OS_CREATED], spec->slot_count);
	if (is_queue(spec)) {
		/* queue_open stays 0 until the endpoint listens (queue_listen):
		 * a client that sees it open can connect. */
		atomic_store(&h->next_id, spec->next_id);
	}
	memcpy(h->name, spec->name, strlen(spec->name) + 1);
}

/* A queue: every slot points at its own box; the first tasks go in. */
static void fill_boxes(struct os_table *t, const struct os_table_spec *spec)
{
	char *base = (char *)t->hdr;

	for (uint32_t i = 0; i < spec->queue_size; i++) {
		struct os_slot *s = os_table_slot(t, i);

		s->cmd_off = os_queue_box_off(t->hdr, i);
		s->exit_code = -1;
		if (i >= spec->slot_count)
			continue;
		s->id = spec->ids ? spec->ids[i] : i + 1;
		s->cmd_len = spec->cmd_lens[i];
		s->attempt = 1 + (spec->attempts_before ? spec->attempts_before[i] : 0);
		memcpy(base + s->cmd_off, spec->cmds[i], spec->cmd_lens[i]);
	}
}

/* Copy the commands and log directory into the string area. */
static void fill_strings(struct os_table *t, const struct os_table_spec *spec)
{
	char *base = (char *)t->hdr;
	uint64_t off = t->hdr->strings_off;
	size_t dirlen = strlen(spec->logdir);

	t->hdr->logdir_off = off;
	t->hdr->logdir_len = (uint32_t)dirlen;
	memcpy(base + off, spec->logdir, dirlen + 1);
	off += dirlen + 1;
	if (is_queue(spec)) {
		fill_boxes(t, spec);
		return;
	}
	for (uint32_t i = 0; i < spec->slot_count; i++) {
		struct os_slot *s = os_table_slot(t, i);

		s->id = spec->ids ? spec->ids[i] : i + 1;
		s->cmd_off = off;
		s->cmd_len = spec->cmd_lens[i];
		s->exit_code = -1;
		s->attempt = 1 + (spec->attempts_before ? spec->attempts_before[i] : 0);
		memcpy(base + off, spec->cmds[i], spec->cmd_lens[i]);
		base[off + spec->cmd_lens[i]] = '\0';
		off += (uint64_t)spec->cmd_lens[i] + 1;
	}
}

int os_table_create(const struct os_table_spec *spec, struct os_table *out)
{
	char objname[96];
	uint64_t strings_size = strings_needed(spec);
	size_t size = os_table_size_for(slots_of(spec), strings_size);
	void *base;
	int fd, err;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	out->events_fd = -1;
	if (os_run_name_check(spec->name) ||
	    spec->cap == 0 || spec->cap > OS_CAP_MAX || size == 0 ||
	    (is_queue(spec) && (spec->queue_size == 0 || spec->queue_size > OS_QUEUE_SIZE_MAX ||
				spec->slot_count > spec->queue_size)))
		return -EINVAL;
	err = os_table_object_name(objname, sizeof(objname), geteuid(), spec->name);
	if (err)
		return err;
	fd = open_for_run(objname, geteuid());
	if (fd < 0)
		return fd;
	/* Truncating to zero first discards the dead run's contents, so readers
	 * still mapping it see a table that is invalid, never a mix. */
	if (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)size) < 0)
		goto fail_errno;
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED)
		goto fail_errno;
	out->hdr = base;
	out->slots = (struct os_slot *)((char *)base + OS_HEADER_SIZE);
	out->size = size;
	out->fd = fd;
	out->writable = 1;
	fill_header(out->hdr, spec, size, strings_size);
	fill_strings(out, spec);
	if (sem_init(&out->hdr->cap_tokens.sem, 1, spec->cap) < 0)
		goto fail_unmap;
	atomic_store_explicit(&out->hdr->run_state, OS_RUN_ACTIVE, memory_order_relaxed);
	atomic_store_explicit(&out->hdr->magic, OS_TABLE_MAGIC, memory_order_release);
	return 0;
fail_unmap:
	err = -errno;
	munmap(base, size);
	memset(out, 0, sizeof(*out));
	out->fd = -1;
	out->events_fd = -1;
	close(fd);
	return err;
fail_errno:
	err = -errno;
	close(fd);
	out->fd = -1;
	return err;
}

int os_table_open(uid_t uid, const char *name, struct os_table *out, const char **why)
{
	char objname[96];
	struct stat st;
	void *base;
	int fd, err;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	out->events_fd = -1;
	*why = NULL;
	if (os_run_name_check(name))
		return -EINVAL;
	err = os_table_object_name(objname, sizeof(objname), uid, name);
	if (err)
		return err;
	fd = shm_open(objname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0);
	if (fd < 0 && errno == ELOOP) {
		*why = "a symbolic link, not a table";
		return -EPROTO;
	}
	if (fd < 0)
		return -errno;
	err = check_object(fd, uid);
	if (err || fstat(fd, &st) < 0) {
		err = err ? err : -errno;
		*why = "wrong owner, mode or file type";
		goto fail;
	}
	if ((uint64_t)st.st_size < OS_HEADER_SIZE || (uint64_t)st.st_size > SIZE_MAX) {
		*why = "truncated: smaller than a header";
		err = -EPROTO;
		goto fail;
	}
	base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		err = -errno;
		goto fail;
	}
	out->hdr = base;
	out->slots = (struct os_slot *)((char *)base + OS_HEADER_SIZE);
	out->size = (size_t)st.st_size;
	out->fd = fd;
	*why = os_table_validate_open(base, out->size);
	if (*why) {
		os_table_close(out);
		return -EPROTO;
	}
	return 0;
fail:
	close(fd);
	return err;
}

void os_table_close(struct os_table *t)
{
	if (t->hdr)
		munmap(t->hdr, t->size);
	if (t->fd >= 0)
		close(t->fd);
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->events_fd = -1;
}

int os_table_is_live(const struct os_table *t)
{
	struct flock fl;
	int err = ofd_lock(t->fd, F_WRLCK, F_OFD_GETLK, &fl);

	if (err)
		return err;
	return fl.l_type != F_UNLCK;
}

const char *os_slot_command(const struct os_table *t, const struct os_slot *s, uint32_t *len)
{
	const struct os_header *h = t->hdr;
	uint64_t off = s->cmd_off, n = s->cmd_len;

	if (n > OS_CMD_MAX || off < h->strings_off || off > t->size || n + 1 > t->size - off)
		return NULL;
	*len = (uint32_t)n;
	return (const char *)h + off;
}

const char *os_table_logdir(const struct os_table *t)
{
	const struct os_header *h = t->hdr;
	uint64_t off = h->logdir_off, n = h->logdir_len;

	if (off < h->strings_off || off > t->size || n + 1 > t->size - off ||
	    ((const char *)h)[off + n] != '\0')
		return NULL;
	return (const char *)h + off;
}
