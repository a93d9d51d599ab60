/*
 * memwatch.c: memory sampler for bench/scale.
 *
 *   memwatch [-i INTERVAL_MS] [-r ROLLUP_MS] [-s SERIES_FILE] PID
 *
 * Samples the process PID (the supervisor) and its children (the workers)
 * until PID exits, then prints key=value lines (sizes in KiB):
 *
 *   sup_rss_anon_peak    peak RssAnon of /proc/PID/status: private
 *                        anonymous memory (heap, stacks), which is what the
 *                        supervisor itself costs.  The table is a shared
 *                        memory object and counts in RssShmem, not here.
 *   sup_anon_rollup_peak peak "Anonymous" of /proc/PID/smaps_rollup, the
 *                        same from the page walk (read every ROLLUP_MS only:
 *                        it walks every page table of the process, the
 *                        table's included, under the lock fork() needs)
 *   sup_rss_shmem_peak   peak RssShmem: the table pages it has touched
 *   sup_rss_file_peak    peak RssFile: the binary and libraries
 *   sup_hwm              last VmHWM read: the kernel's peak RSS, which is
 *                        anon + file + shmem, so the table is in it
 *   worker_hwm_peak      the largest VmHWM of any worker sampled
 *   worker_rss_anon_peak the largest RssAnon of any worker sampled (pages
 *                        it shares copy-on-write with the supervisor count
 *                        in full here)
 *   worker_pss_peak      the largest Pss (smaps_rollup) of any worker sampled
 *                        every ROLLUP_MS: its share of those pages
 *   worker_samples       how many worker status files were read
 *   children_peak        the most children seen at once
 *   samples              supervisor samples taken
 *   sup_cpu_ms           the supervisor's own CPU time (user + system, not
 *                        its children's), at its last sample
 *
 * Every INTERVAL_MS (default 20) it reads the supervisor's status and the
 * status of one of its children, the next one each time.  The wait between
 * samples is a poll() on a pidfd of PID, which turns readable when PID
 * exits: the sampler ends with the run, not after a guess.  With -s, one
 * line per second goes to SERIES_FILE: seconds, RssAnon, RssShmem, VmHWM
 * (KiB) and the number of children, to show whether anything grows.
 *
 * Until PID runs the supervisor (the harness starts it with `cmd &`, so the
 * pid is a shell for a moment before the exec), samples are skipped: a
 * sample counts once /proc/PID/comm reads "oneshotd-superv".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAXCHILD 8192

struct status {
	long rss_anon, rss_shmem, rss_file, hwm;
	int ok;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The "Key:   N kB" fields we want from a status or smaps_rollup file. */
static long field(const char *text, const char *key)
{
	const char *p = text;
	size_t n = strlen(key);

	while ((p = strstr(p, key)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ':')
			return strtol(p + n + 1, NULL, 10);
		p += n;
	}
	return -1;
}

static int slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got, n = 0;

	if (fd < 0)
		return -1;
	while ((size_t)n < len - 1 && (got = read(fd, buf + n, len - 1 - (size_t)n)) > 0)
		n += got;
	close(fd);
	buf[n] = '\0';
	return n > 0 ? 0 : -1;
}

static int read_status(int pid, struct status *st)
{
	char path[64], buf[8192];

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	memset(st, 0, sizeof(*st));
	if (slurp(path, buf, sizeof(buf)) < 0)
		return -1;
	st->rss_anon = field(buf, "RssAnon");
	st->rss_shmem = field(buf, "RssShmem");
	st->rss_file = field(buf, "RssFile");
	st->hwm = field(buf, "VmHWM");
	/* A zombie has no memory fields left: not a sample. */
	st->ok = st->rss_anon >= 0 && st->hwm >= 0;
	return st->ok ? 0 : -1;
}

static long rollup(int pid, const char *key)
{
	char path[64], buf[4096];

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
	if (slurp(path, buf, sizeof(buf)) < 0)
		return -1;
	return field(buf, key);
}

/* utime + stime of PID itself, in ms; -1 if unreadable. */
static long own_cpu_ms(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (slurp(path, buf, sizeof(buf)) < 0 || !(p = strrchr(buf, ')')))
		return -1;
	/* after "pid (comm)": state is field 3, utime 14, stime 15 */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (long)((ut + st) * 1000 / (unsigned long)sysconf(_SC_CLK_TCK));
}

static int is_supervisor(int pid)
{
	char path[64], buf[64];

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	return slurp(path, buf, sizeof(buf)) == 0 && strncmp(buf, "oneshotd-superv", 15) == 0;
}

static int children(int pid, int *out, int max)
{
	static char buf[MAXCHILD * 12];
	char path[64], *p, *end;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	if (slurp(path, buf, sizeof(buf)) < 0)
		return 0;
	for (p = buf; n < max; p = end) {
		long c = strtol(p, &end, 10);
		if (end == p)
			break;
		out[n++] = (int)c;
	}
	return n;
}

static void max_in(long *peak, long v)
{
	if (v > *peak)
		*peak = v;
}

int main(int argc, char **argv)
{
	long interval = 20, rollup_ms = 1000;
	const char *series_path = NULL;
	FILE *series = NULL;
	long sup_anon = 0, sup_anon_rollup = 0, sup_shmem = 0, sup_file = 0, sup_hwm = 0;
	long w_hwm = 0, w_anon = 0, w_pss = 0, w_samples = 0, kids_peak = 0, samples = 0;
	long sup_cpu = -1, cpu;
	double t0, last_rollup = 0, last_series = -1;
	static int kids[MAXCHILD];
	unsigned turn = 0;
	int opt, pid, pidfd;

	while ((opt = getopt(argc, argv, "i:r:s:")) != -1) {
		switch (opt) {
		case 'i': interval = atol(optarg); break;
		case 'r': rollup_ms = atol(optarg); break;
		case 's': series_path = optarg; break;
		default:
			fprintf(stderr, "usage: memwatch [-i MS] [-r MS] [-s FILE] PID\n");
			return 2;
		}
	}
	if (optind != argc - 1 || interval <= 0 || rollup_ms <= 0) {
		fprintf(stderr, "usage: memwatch [-i MS] [-r MS] [-s FILE] PID\n");
		return 2;
	}
	pid = atoi(argv[optind]);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		fprintf(stderr, "memwatch: pidfd_open %d: %s\n", pid, strerror(errno));
		return 1;
	}
	if (series_path && !(series = fopen(series_path, "we"))) {
		fprintf(stderr, "memwatch: %s: %s\n", series_path, strerror(errno));
		return 1;
	}
	t0 = now_s();
	for (;;) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		struct status st, wst;
		double t = now_s();
		int n;

		if (is_supervisor(pid) && read_status(pid, &st) == 0) {
			samples++;
			max_in(&sup_anon, st.rss_anon);
			max_in(&sup_shmem, st.rss_shmem);
			max_in(&sup_file, st.rss_file);
			max_in(&sup_hwm, st.hwm);
			if ((cpu = own_cpu_ms(pid)) >= 0)
				sup_cpu = cpu;
			n = children(pid, kids, MAXCHILD);
			max_in(&kids_peak, n);
			if (n > 0) {
				int c = kids[turn++ % (unsigned)n];
				if (read_status(c, &wst) == 0) {
					w_samples++;
					max_in(&w_hwm, wst.hwm);
					max_in(&w_anon, wst.rss_anon);
				}
			}
			if ((t - last_rollup) * 1000 >= (double)rollup_ms) {
				last_rollup = t;
				max_in(&sup_anon_rollup, rollup(pid, "Anonymous"));
				if (n > 0)
					max_in(&w_pss, rollup(kids[turn % (unsigned)n], "Pss"));
			}
			if (series && t - last_series >= 1.0) {
				last_series = t;
				fprintf(series, "%.1f %ld %ld %ld %d\n", t - t0, st.rss_anon,
					st.rss_shmem, st.hwm, n);
			}
		}
		n = poll(&p, 1, (int)interval);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "memwatch: poll: %s\n", strerror(errno));
			return 1;
		}
		if (n > 0)
			break; /* PID exited */
	}
	if (series && fclose(series) != 0) {
		fprintf(stderr, "memwatch: %s: %s\n", series_path, strerror(errno));
		return 1;
	}
	printf("sup_rss_anon_peak=%ld\nsup_anon_rollup_peak=%ld\nsup_rss_shmem_peak=%ld\n"
	       "sup_rss_file_peak=%ld\nsup_hwm=%ld\nworker_hwm_peak=%ld\n"
	       "worker_rss_anon_peak=%ld\nworker_pss_peak=%ld\nworker_samples=%ld\n"
	       "children_peak=%ld\nsamples=%ld\nsup_cpu_ms=%ld\n",
	       sup_anon, sup_anon_rollup, sup_shmem, sup_file, sup_hwm, w_hwm, w_anon, w_pss,
	       w_samples, kids_peak, samples, sup_cpu);
	return 0;
}
