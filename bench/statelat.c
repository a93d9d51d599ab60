/*
 * statelat.c: state-latency probe for bench/run (scenario 6): how long after
 * a task's first byte following silence the run table shows IDLE -> RUNNING.
 *
 *   statelat task N OUTFILE [-x]     run as a oneshot task (one line of the task file)
 *   statelat watch NAME ID OUTFILE   external reader of slot ID of run NAME
 *   statelat floor N GAP_MS OUTFILE  the same wake-up through a bare PTY
 *
 * task: maps its own run's table read-only (ONESHOT_RUN, ONESHOT_TASK_ID,
 * /dev/shm/oneshot.UID.RUN) and N times: polls (every 100 us) until its
 * slot's state word is IDLE, waits a random 1-3 ms so the worker is parked,
 * takes t0 = CLOCK_MONOTONIC, writes one byte to its terminal, then spins on
 * the state word until it is no longer IDLE and takes t1.  OUTFILE gets one
 * line per sample: "latency_ns idle_late_ns t0_ns", where idle_late_ns is
 * how long after the previous byte + --idle-after the IDLE state was seen
 * (at 100 us polling resolution; -1 for the first sample).  With -x it does
 * not spin: it polls every 1 ms for the state to leave IDLE (so as not to
 * write twice into one idle period) and leaves the timing to `watch`.
 *
 * watch: in a session of its own, maps the table read-only; polls (every 100 us) until slot ID is
 * IDLE, spins until it leaves IDLE and prints the CLOCK_MONOTONIC of that
 * moment to OUTFILE, one per line; again until the slot is INTERRUPTED,
 * COMPLETED or FAILED.  Pair each of the task's t0 with the first of these
 * times after it (the harness drops a t0 whose IDLE period the watcher
 * missed: none within half of --idle-after).
 *
 * floor: the reference.  One PTY (no oneshot): a child blocks in read() on
 * the master and, on each return, bumps a counter in shared memory; a second
 * child, in a session of its own like a oneshot task, N times sleeps GAP_MS,
 * takes t0, writes one byte to the slave and spins until the counter moves,
 * takes t1.  OUTFILE: "latency_ns".  That is the kernel's PTY wake-up path
 * (flush_to_ldisc on a kworker, then the reader) with nothing else in it:
 * what any terminal reader pays.  The sessions matter on a kernel with
 * sched_autogroup: the writer then has a scheduling group of its own while
 * the reader shares the launcher's, exactly as a oneshot task and its worker.
 *
 * The table layout is read through fixed offsets (a 4096-byte header, slot i
 * at 4096 + (i-1) * 256 for task id i, its state the uint32 at slot offset 4:
 * 1 RUNNING, 2 IDLE), the table's wire format pinned in shm/table.h; nothing
 * of the project is linked.  Part of the benchmark harness only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HEADER_SIZE 4096u
#define SLOT_SIZE 256u
#define ST_RUNNING 1u
#define ST_IDLE 2u
#define MAGIC UINT64_C(0x31544f4853454e4f) /* "ONESHOT1" */
#define WAIT_LIMIT_NS (30LL * 1000000000LL)
#define HDR_IDLE_AFTER_MS 136u /* offsetof(struct os_header, idle_after_ms) */

static const unsigned char *table_base; /* set by map_state */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void nap_ns(long ns)
{
	struct timespec ts = { ns / 1000000000L, ns % 1000000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static void die(const char *what)
{
	fprintf(stderr, "statelat: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* The state word of task ID in run NAME's table, mapped read-only. */
static const _Atomic uint32_t *map_state(const char *name, unsigned long id)
{
	char path[256];
	struct stat st;
	const unsigned char *p;
	uint64_t magic;
	int fd;

	snprintf(path, sizeof(path), "/dev/shm/oneshot.%u.%s", (unsigned)getuid(), name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(path);
	if (fstat(fd, &st) < 0)
		die("fstat");
	if (id < 1 || (uint64_t)st.st_size < HEADER_SIZE + (uint64_t)id * SLOT_SIZE) {
		fprintf(stderr, "statelat: %s has no slot %lu\n", path, id);
		exit(2);
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	close(fd);
	memcpy(&magic, p, sizeof(magic));
	if (magic != MAGIC) {
		fprintf(stderr, "statelat: %s is not a published table\n", path);
		exit(2);
	}
	table_base = p;
	return (const _Atomic uint32_t *)(p + HEADER_SIZE + (id - 1) * SLOT_SIZE + 4);
}

static uint32_t load(const _Atomic uint32_t *w)
{
	return atomic_load_explicit(w, memory_order_acquire);
}

/* Poll every STEP_NS until *w == want (or, with NOT, until it differs). */
#define ST_DONE 3u /* INTERRUPTED, COMPLETED, FAILED are >= 3 */

static int64_t poll_for(const _Atomic uint32_t *w, uint32_t want, int not, long step_ns)
{
	int64_t start = now_ns();

	for (;;) {
		uint32_t v = load(w);

		if (not ? v != want : v == want)
			return now_ns();
		if (now_ns() - start > WAIT_LIMIT_NS) {
			fprintf(stderr, "statelat: state stayed %u for 30 s\n", v);
			exit(3);
		}
		nap_ns(step_ns);
	}
}

/* Spin (no syscall but the vDSO clock) until *w != old. */
static int64_t spin_while(const _Atomic uint32_t *w, uint32_t old)
{
	int64_t start = now_ns();
	unsigned n = 0;

	while (load(w) == old) {
		cpu_relax();
		if (++n % 4096 == 0 && now_ns() - start > WAIT_LIMIT_NS) {
			fprintf(stderr, "statelat: no transition within 30 s\n");
			exit(3);
		}
	}
	return now_ns();
}

static FILE *open_out(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		die(path);
	return f;
}

static int task_mode(int argc, char **argv)
{
	const char *run = getenv("ONESHOT_RUN"), *idv = getenv("ONESHOT_TASK_ID");
	int external = argc > 4 && strcmp(argv[4], "-x") == 0;
	long n = strtol(argv[2], NULL, 10);
	const _Atomic uint32_t *state;
	int64_t last_write = -1;
	uint32_t idle_ms;
	unsigned seed;
	FILE *out;

	if (!run || !idv) {
		fprintf(stderr, "statelat task: not run by oneshot (no ONESHOT_RUN/ONESHOT_TASK_ID)\n");
		return 2;
	}
	state = map_state(run, strtoul(idv, NULL, 10));
	out = open_out(argv[3]);
	seed = (unsigned)now_ns() ^ (unsigned)getpid();
	memcpy(&idle_ms, table_base + HDR_IDLE_AFTER_MS, sizeof(idle_ms)); /* --idle-after */
	for (long i = 0; i < n; i++) {
		int64_t seen_idle = poll_for(state, ST_IDLE, 0, 100000), t0, t1;

		nap_ns(1000000L + (long)(rand_r(&seed) % 2000000));
		t0 = now_ns();
		if (write(STDOUT_FILENO, "x", 1) != 1)
			die("write");
		if (external)
			t1 = poll_for(state, ST_IDLE, 1, 1000000);
		else
			t1 = spin_while(state, ST_IDLE);
		fprintf(out, "%lld %lld %lld\n", external ? -1LL : (long long)(t1 - t0),
			last_write < 0 ? -1LL
				       : (long long)(seen_idle - last_write - (int64_t)idle_ms * 1000000),
			(long long)t0);
		last_write = t0;
	}
	if (fclose(out) != 0)
		die("fclose");
	return 0;
}

static int watch_mode(char **argv)
{
	const _Atomic uint32_t *state;
	FILE *out;
	int64_t last = now_ns();

	/* A session (and, with sched_autogroup, a scheduling group) of its own,
	 * like a reader started from another terminal: spinning in the worker's
	 * group would compete with the very wake-up it measures. */
	setsid();
	state = map_state(argv[2], strtoul(argv[3], NULL, 10));
	out = open_out(argv[4]);

	for (;;) {
		uint32_t v = load(state);

		if (v >= ST_DONE)
			break;
		if (v == ST_IDLE) {
			last = spin_while(state, ST_IDLE);
			fprintf(out, "%lld\n", (long long)last);
			continue;
		}
		if (now_ns() - last > WAIT_LIMIT_NS) {
			fprintf(stderr, "statelat watch: no change for 30 s\n");
			break;
		}
		nap_ns(100000);
	}
	if (fclose(out) != 0)
		die("fclose");
	return 0;
}

static int floor_mode(char **argv)
{
	long n = strtol(argv[2], NULL, 10), gap_ms = strtol(argv[3], NULL, 10);
	_Atomic uint64_t *count;
	int master, slave;
	pid_t pid;
	FILE *out = open_out(argv[4]);
	char *sname;

	count = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (count == MAP_FAILED)
		die("mmap");
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 || !(sname = ptsname(master)))
		die("posix_openpt");
	slave = open(sname, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		die(sname);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		char buf[4096];

		close(slave);
		for (;;) {
			ssize_t r = read(master, buf, sizeof(buf));

			if (r <= 0 && errno != EINTR)
				_exit(0);
			if (r > 0)
				atomic_fetch_add_explicit(count, 1, memory_order_release);
		}
	}
	close(master);
	pid_t writer = fork();

	if (writer < 0)
		die("fork");
	if (writer > 0) {
		int status;

		close(slave);
		if (waitpid(writer, &status, 0) < 0)
			die("waitpid");
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return WIFEXITED(status) ? WEXITSTATUS(status) : 3;
	}
	setsid();
	for (long i = 0; i < n; i++) {
		uint64_t before = atomic_load_explicit(count, memory_order_acquire);
		int64_t t0, t1;
		unsigned spins = 0;

		nap_ns(gap_ms * 1000000L);
		t0 = now_ns();
		if (write(slave, "x", 1) != 1)
			die("write");
		while (atomic_load_explicit(count, memory_order_acquire) == before) {
			cpu_relax();
			if (++spins % 4096 == 0 && now_ns() - t0 > WAIT_LIMIT_NS) {
				fprintf(stderr, "statelat floor: the reader never woke\n");
				return 3;
			}
		}
		t1 = now_ns();
		fprintf(out, "%lld\n", (long long)(t1 - t0));
	}
	if (fclose(out) != 0)
		die("fclose");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "task") == 0)
		return task_mode(argc, argv);
	if (argc >= 5 && strcmp(argv[1], "watch") == 0)
		return watch_mode(argv);
	if (argc >= 5 && strcmp(argv[1], "floor") == 0)
		return floor_mode(argv);
	fprintf(stderr, "usage: statelat task N OUTFILE [-x] | watch NAME ID OUTFILE | floor N GAP_MS OUTFILE\n");
	return 2;
}
