/*
 * loop.c: the worker's one io_uring loop.
 *
 * Inputs: reads of the PTY master, reads of the signalfd (SIGCHLD,
 * SIGTERM, SIGUSR1: a client asks for the steering endpoint, steer.c, whose
 * ops this loop also carries), and three timers (silence, SIGKILL after the grace period,
 * drain after the task exited).  Output is coalesced: PTY reads return at
 * most ~4 KiB, so they fill one 64 KiB buffer that is written to the
 * transcript with pwrite when it is nearly full or the stream pauses.  The
 * write is synchronous on purpose: handed to io_uring, buffered file writes
 * go through a kernel worker thread, which cost ~30% more CPU per GiB than
 * writing inline (bench/README.md); a slow disk then holds the task back
 * through its terminal, as it would with script(1).
 *
 * The task is finished when it has been reaped AND its terminal has hit
 * EOF (or stayed silent after the reap); the two come in either order.
 */
#include <errno.h>
#include <liburing.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "worker/loop.h"
#include "fmt/json.h"
#include "worker/steer.h"
#include "worker/waiting.h"
#include "shm/slot.h"
#include "shm/state.h"
#include "worker/tail.h"
#include "shm/util.h"

#define BUF_SIZE   (64 * 1024)
#define READ_MIN   4096            /* a PTY read returns at most ~4 KiB */
#define DRAIN_MS   1000            /* after the reap, wait this long for EOF */
#define RING_SIZE  32            /* steering clients add up to 17 ops */
#define PROBE_MIN_MS 1000          /* a silent task is asked at most this often */

enum op { OP_READ, OP_SIGNAL, OP_IDLE_TIMER, OP_KILL_TIMER, OP_DRAIN_TIMER };

struct loop {
	struct io_uring ring;
	const struct loop_start *st;
	struct os_table *table;
	struct os_slot *slot;
	char *buf;                       /* BUF_SIZE, touched only as used */
	uint32_t fill;
	int reading, eof;
	int nowait;                      /* reads may carry RWF_NOWAIT */
	int parked;                      /* next read waits for data */
	uint64_t log_off;
	int log_err;
	int64_t last_output_ns;
	struct signalfd_siginfo si;
	struct __kernel_timespec idle_ts, kill_ts, drain_ts;
	int idle_armed, drain_armed, drain_expired;
	int reaped;
	int64_t reaped_at_ns;
	struct worker_tail *tail;         /* --tail, else NULL */
	struct worker_steer steer;        /* oneshot-ctl's endpoint, once asked */
	struct worker_waiting waiting;    /* evidence of waiting for input */
	int is_waiting;                   /* the slot says the task waits */
};

struct io_uring_sqe *worker_sqe(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe) {
		io_uring_submit(ring);
		sqe = io_uring_get_sqe(ring);
	}
	return sqe; /* never NULL: the ring is sized for every op in flight */
}

static struct io_uring_sqe *sqe_get(struct loop *l)
{
	return worker_sqe(&l->ring);
}

static void arm_timer(struct loop *l, enum op op, struct __kernel_timespec *ts, int64_t at_ns)
{
	struct io_uring_sqe *sqe = sqe_get(l);

	ts->tv_sec = at_ns / 1000000000;
	ts->tv_nsec = at_ns % 1000000000;
	io_uring_prep_timeout(sqe, ts, 0, IORING_TIMEOUT_ABS);
	io_uring_sqe_set_data64(sqe, op);
}

static void arm_signal_read(struct loop *l)
{
	struct io_uring_sqe *sqe = sqe_get(l);

	io_uring_prep_read(sqe, l->st->sigfd, &l->si, sizeof(l->si), 0);
	io_uring_sqe_set_data64(sqe, OP_SIGNAL);
}

/* --- transcript ----------------------------------------------------------- */

static void set_message(struct loop *l, const char *what, int err)
{
	char text[OS_MESSAGE_MAX];

	snprintf(text, sizeof(text), "%s: %s", what, strerror(-err));
	os_slot_write_begin(l->slot);
	os_slot_set_message(l->slot, text);
	os_slot_write_end(l->slot);
}

/* Write the buffer to the transcript.  After a write error the output is
 * still read and counted, so the task never blocks on its terminal. */
static void flush(struct loop *l)
{
	uint32_t done = 0;
	ssize_t n;

	while (done < l->fill && !l->log_err) {
		n = pwrite(l->st->logfd, l->buf + done, l->fill - done,
			   (off_t)(l->log_off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			l->log_err = n < 0 ? -errno : -EIO;
			set_message(l, "transcript write failed", l->log_err);
			break;
		}
		done += (uint32_t)n;
	}
	l->log_off += l->fill;
	l->fill = 0;
}

/* --- the terminal --------------------------------------------------------- */

static void submit_read(struct loop *l)
{
	struct io_uring_sqe *sqe;

	if (l->reading || l->eof)
		return;
	sqe = sqe_get(l);
	io_uring_prep_read(sqe, l->st->master, l->buf + l->fill, BUF_SIZE - l->fill, 0);
	/* A read without RWF_NOWAIT waits in the kernel until data comes (even
	 * on an O_NONBLOCK PTY).  With it, an empty terminal answers -EAGAIN:
	 * that is how the loop knows the stream paused and flushes. */
	if (l->nowait && !l->parked)
		sqe->rw_flags = RWF_NOWAIT;
	io_uring_sqe_set_data64(sqe, OP_READ);
	l->reading = 1;
}

static void arm_idle_timer(struct loop *l)
{
	if (l->idle_armed || l->reaped)
		return;
	arm_timer(l, OP_IDLE_TIMER, &l->idle_ts,
		  l->last_output_ns + (int64_t)l->st->cfg->idle_after_ms * 1000000);
	l->idle_armed = 1;
}

/* Output arrived: count it and wake an IDLE task up. */
static void account_output(struct loop *l, int n)
{
	struct os_slot *s = l->slot;

	l->last_output_ns = os_now_mono_ns();
	os_slot_write_begin(s);
	atomic_store_explicit(&s->output_bytes,
			      atomic_load_explicit(&s->output_bytes, memory_order_relaxed) + (uint64_t)n,
			      memory_order_relaxed);
	atomic_store_explicit(&s->output_mono_ns, l->last_output_ns, memory_order_relaxed);
	if (l->is_waiting) { /* output after the wait clears it */
		atomic_store_explicit(&s->waiting_mono_ns, 0, memory_order_relaxed);
		atomic_store_explicit(&s->waiting_why, OS_WAIT_NONE, memory_order_relaxed);
		os_slot_set_message(s, "");
		l->is_waiting = 0;
	}
	if (atomic_load_explicit(&s->state, memory_order_relaxed) == OS_IDLE)
		os_slot_transition(l->table, s, OS_EV_DETECT_ACTIVITY, OS_REASON_NONE, NULL);
	os_slot_write_end(s);
	arm_idle_timer(l);
}

static void on_read(struct loop *l, int res)
{
	l->reading = 0;
	if (res > 0) {
		l->parked = 0;
		if (l->tail)
			worker_tail_feed(l->tail, l->buf + l->fill, (size_t)res);
		l->fill += (uint32_t)res;
		account_output(l, res);
		worker_waiting_output(&l->waiting, l->buf + l->fill - res, (size_t)res,
				      l->last_output_ns);
		/* Without NOWAIT every read may be the last for a while. */
		if (!l->nowait || BUF_SIZE - l->fill < READ_MIN)
			flush(l);
	} else if (res == -EOPNOTSUPP && l->nowait) {
		l->nowait = 0; /* a kernel whose tty lacks FMODE_NOWAIT */
	} else if (res == -EAGAIN || res == -EINTR) {
		flush(l); /* the stream paused: make the transcript current */
		l->parked = 1;
	} else {
		/* 0 or -EIO: every slave fd is closed. */
		l->eof = 1;
		flush(l);
		return;
	}
	submit_read(l);
}

/* --- the task ------------------------------------------------------------- */

static void record_exit(struct loop *l, int status)
{
	struct os_slot *s = l->slot;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	uint32_t reason;
	enum os_event ev;

	os_slot_write_begin(s);
	atomic_store_explicit(&s->exit_code, code, memory_order_relaxed);
	atomic_store_explicit(&s->term_signal, sig, memory_order_relaxed);
	os_slot_set_end(s, NULL);
	/* On shutdown the supervisor kills the task before it signals us, so
	 * its death can reach us before our SIGTERM: the request it stored in
	 * the slot first makes this the interrupt it asked for, not a failure
	 * by signal 15.  Refused when already INTERRUPTED: the exit is kept. */
	ev = os_slot_exit_event(s, code, &reason);
	os_slot_transition(l->table, s, ev, reason, NULL);
	os_slot_write_end(s);
}

static void reap(struct loop *l)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid != l->st->task_pid || l->reaped)
			continue; /* an orphan adopted as subreaper */
		l->reaped = 1;
		l->reaped_at_ns = os_now_mono_ns();
		record_exit(l, status);
		worker_steer_close(&l->steer); /* nothing to steer any more */
	}
	/* No child left means nothing of the task is left: every survivor of
	 * its tree would have been re-parented to us, the subreaper. */
	if (l->reaped && !(pid < 0 && errno == ECHILD)) {
		/* Whatever the task left behind dies with it; orphans re-parented
		 * to us after an earlier round are caught on their SIGCHLD. */
		worker_kill_leftovers(l->st->task_pid, SIGKILL);
		if (!l->drain_armed && !l->eof) {
			arm_timer(l, OP_DRAIN_TIMER, &l->drain_ts,
				  l->reaped_at_ns + (int64_t)DRAIN_MS * 1000000);
			l->drain_armed = 1;
		}
	}
}

/* Where an interrupt request came from, from the signal's sender. */
static uint32_t interrupt_reason(const struct loop *l)
{
	const struct worker_config *cfg = l->st->cfg;

	if (l->si.ssi_code == SI_QUEUE && (pid_t)l->si.ssi_pid == cfg->supervisor_pid &&
	    l->si.ssi_int > 0 && l->si.ssi_int < OS_REASON_COUNT)
		return (uint32_t)l->si.ssi_int;
	/* oneshot-ctl interrupt: the kernel let the sender signal us, so it is
	 * the run's owner or root; the uid is checked again all the same. */
	if (l->si.ssi_code == SI_QUEUE && l->si.ssi_int == OS_REASON_OPERATOR &&
	    (l->si.ssi_uid == 0 || l->si.ssi_uid == geteuid()))
		return OS_REASON_OPERATOR;
	if (getppid() != cfg->supervisor_pid)
		return OS_REASON_SUPERVISOR_LOST;
	return OS_REASON_SIGNAL;
}

static void interrupt(struct loop *l, uint32_t reason)
{
	struct os_slot *s = l->slot;
	int refused;
	pid_t pgid = l->st->task_pid;

	if (l->reaped)
		return;
	os_slot_write_begin(s);
	refused = os_slot_transition(l->table, s, OS_EV_INTERRUPT, reason, NULL);
	os_slot_write_end(s);
	if (refused)
		return;
	kill(-pgid, SIGTERM);
	kill(-pgid, SIGCONT); /* a stopped task must be able to act on SIGTERM */
	arm_timer(l, OP_KILL_TIMER, &l->kill_ts,
		  os_now_mono_ns() + (int64_t)l->st->cfg->grace_ms * 1000000);
}

static void on_signal(struct loop *l, int res)
{
	if (res == (int)sizeof(l->si)) {
		if (l->si.ssi_signo == SIGCHLD)
			reap(l);
		else if (l->si.ssi_signo == SIGTERM)
			interrupt(l, interrupt_reason(l));
		else if (l->si.ssi_signo == SIGUSR1 && !l->reaped)
			worker_steer_open(&l->steer);
	}
	arm_signal_read(l);
}

/* The silent task waits for input: say so in the slot and the event log. */
static void note_waiting(struct loop *l, uint32_t why, const char *prompt)
{
	struct os_slot *s = l->slot;
	char extra[16 + FMT_JSON_ESCAPED_MAX(OS_MESSAGE_MAX)];

	os_slot_write_begin(s);
	atomic_store_explicit(&s->waiting_mono_ns, l->last_output_ns, memory_order_relaxed);
	atomic_store_explicit(&s->waiting_why, why, memory_order_relaxed);
	os_slot_set_message(s, prompt);
	os_slot_write_end(s);
	l->is_waiting = 1;
	strcpy(extra, ",\"prompt\":\"");
	fmt_json_escape(extra + strlen(extra), prompt, strnlen(prompt, OS_MESSAGE_MAX - 1));
	strcat(extra, "\"");
	os_event_note(l->table, s->id, "waiting", OS_IDLE, os_wait_name(why), extra);
	if (l->tail) {
		char note[OS_MESSAGE_MAX + 48];

		snprintf(note, sizeof(note), "waiting for input (%s): %s", os_wait_name(why), prompt);
		worker_tail_note(l->tail, note);
	}
}

/* --answer: type the answer to PROMPT, if one matches, and say so. */
static void answer(struct loop *l, const char *prompt)
{
	const struct worker_answer *a = worker_waiting_answer(&l->waiting, prompt);
	char extra[64 + FMT_JSON_ESCAPED_MAX(OS_MESSAGE_MAX) + FMT_JSON_ESCAPED_MAX(256)];
	size_t len, n;
	ssize_t done;

	if (!a)
		return;
	len = strlen(a->text);
	/* An answer is short and the task is reading: it fits the terminal's
	 * queue; the master is non-blocking, so a full queue costs nothing. */
	done = write(l->st->master, a->text, len);
	if (done == (ssize_t)len)
		done = write(l->st->master, "\r", 1) == 1 ? (ssize_t)len + 1 : -1;
	n = (size_t)snprintf(extra, sizeof(extra), ",\"prompt\":\"");
	n += fmt_json_escape(extra + n, prompt, strnlen(prompt, OS_MESSAGE_MAX - 1));
	n += (size_t)snprintf(extra + n, sizeof(extra) - n, "\",\"text\":\"");
	n += fmt_json_escape(extra + n, a->text, len < 256 ? len : 256);
	snprintf(extra + n, sizeof(extra) - n, "\",\"typed\":%s,\"answer\":%u",
		 done == (ssize_t)len + 1 ? "true" : "false", l->waiting.answered);
	os_event_note(l->table, l->slot->id, "answer", OS_IDLE, NULL, extra);
}

/* Ask a silent task whether it waits for input; if not, ask again later. */
static void probe_waiting(struct loop *l)
{
	uint32_t size = atomic_load_explicit(&l->slot->winsize, memory_order_relaxed), why;
	uint64_t every = l->st->cfg->idle_after_ms > PROBE_MIN_MS ? l->st->cfg->idle_after_ms
								   : PROBE_MIN_MS;
	char prompt[OS_MESSAGE_MAX];

	flush(l); /* the prompt must be in the transcript */
	why = worker_waiting_probe(&l->waiting, l->last_output_ns, l->st->cfg->logdir_fd,
				   l->st->log_name, (uint16_t)(size >> 16), (uint16_t)size,
				   prompt, sizeof(prompt));
	if (why) {
		note_waiting(l, why, prompt);
		answer(l, prompt);
		return;
	}
	arm_timer(l, OP_IDLE_TIMER, &l->idle_ts, os_now_mono_ns() + (int64_t)every * 1000000);
	l->idle_armed = 1;
}

static void on_idle_timer(struct loop *l)
{
	int64_t due = l->last_output_ns + (int64_t)l->st->cfg->idle_after_ms * 1000000;
	struct os_slot *s = l->slot;

	l->idle_armed = 0;
	if (l->reaped)
		return;
	if (os_now_mono_ns() < due) {
		arm_idle_timer(l); /* output came since it was armed */
		return;
	}
	if (atomic_load_explicit(&s->state, memory_order_relaxed) == OS_RUNNING) {
		os_slot_write_begin(s);
		os_slot_transition(l->table, s, OS_EV_DETECT_SILENCE, OS_REASON_NONE, NULL);
		os_slot_write_end(s);
	}
	if (!l->is_waiting)
		probe_waiting(l);
}

static void on_drain_timer(struct loop *l)
{
	int64_t quiet_since = l->last_output_ns > l->reaped_at_ns ? l->last_output_ns
								  : l->reaped_at_ns;

	if (os_now_mono_ns() - quiet_since < (int64_t)DRAIN_MS * 1000000) {
		arm_timer(l, OP_DRAIN_TIMER, &l->drain_ts, quiet_since + (int64_t)DRAIN_MS * 1000000);
		return;
	}
	l->drain_expired = 1;
	flush(l);
}

static void handle(struct loop *l, struct io_uring_cqe *cqe)
{
	uint64_t data = io_uring_cqe_get_data64(cqe);

	switch ((enum op)data) {
	case OP_READ:
		on_read(l, cqe->res);
		break;
	case OP_SIGNAL:
		on_signal(l, cqe->res);
		break;
	case OP_IDLE_TIMER:
		on_idle_timer(l);
		break;
	case OP_KILL_TIMER:
		/* Once reaped, the pid may be reused: reap() already killed the
		 * group, and later orphans are handled on their SIGCHLD. */
		if (!l->reaped)
			worker_kill_leftovers(l->st->task_pid, SIGKILL);
		break;
	case OP_DRAIN_TIMER:
		on_drain_timer(l);
		break;
	default:
		worker_steer_handle(&l->steer, data, cqe->res);
		break;
	}
}

static int finished(const struct loop *l)
{
	return l->reaped && (l->eof || l->drain_expired);
}

static int loop_init(struct loop *l, const struct loop_start *st)
{
	int err;

	memset(l, 0, sizeof(*l));
	l->st = st;
	l->table = st->cfg->table;
	l->slot = st->slot;
	l->last_output_ns = os_now_mono_ns();
	l->nowait = 1;
	l->buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (l->buf == MAP_FAILED)
		return -errno;
	err = io_uring_queue_init(RING_SIZE, &l->ring, 0);
	if (err < 0) {
		munmap(l->buf, BUF_SIZE);
		return err;
	}
	worker_steer_init(&l->steer, &l->ring, st->master, l->slot, st->cfg->pty_rows,
			  st->cfg->pty_cols);
	l->waiting = (struct worker_waiting){
		.slave_path = st->slave_path, .master = st->master, .task_pid = st->task_pid,
		.prompts = st->cfg->prompts, .nprompts = st->cfg->nprompts,
		.answers = st->cfg->answers, .nanswers = st->cfg->nanswers,
		.answer_limit = st->cfg->answer_limit,
	};
	if (st->cfg->tail)
		l->tail = worker_tail_open(l->slot->id, atomic_load(&l->slot->attempt),
					   st->cfg->tail_erase);
	return 0;
}

int worker_loop_run(const struct loop_start *st)
{
	struct loop l;
	struct io_uring_cqe *cqe;
	unsigned head, seen;
	int err = loop_init(&l, st);

	if (err)
		return err;
	arm_signal_read(&l);
	arm_idle_timer(&l);
	submit_read(&l);
	while (!finished(&l)) {
		err = io_uring_submit_and_wait(&l.ring, 1);
		if (err < 0 && err != -EINTR)
			break;
		err = 0;
		seen = 0;
		io_uring_for_each_cqe(&l.ring, head, cqe) {
			handle(&l, cqe);
			seen++;
		}
		io_uring_cq_advance(&l.ring, seen);
	}
	flush(&l);
	if (l.tail)
		worker_tail_finish(l.tail); /* after the transcript: it comes first */
	/* The ring and buffer go with the process: the worker exits next, and
	 * tearing the ring down here would only delay that in series. */
	return err;
}
