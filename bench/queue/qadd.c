/*
 * qadd.c: the client driver of bench/queue/run.
 *
 *   qadd [-c CLIENTS] [-n ADDS] [-b BASE] [-p PID] [-k N,N,...] [-m SERIES]
 *        [-t EPOCH] [-o LATFILE] [-r RETRY_MS] [-T TIMEOUT_S] [-F MAXFAIL]
 *        -- PROG ARG...
 *
 * Runs the command PROG ARG... ADDS times in all, from CLIENTS client loops
 * at once (processes forked from this one; CLIENTS=1 is one sequential
 * loop).  Each run is one posix_spawnp of the command with its standard
 * output on a pipe, read to its end, then waitpid: what a shell loop of
 * `oneshot-ctl -n Q add true` or `tsp true` costs, one process per task,
 * without the shell.  The loops take the next run from a shared counter, so
 * the total is exactly ADDS whatever their speeds.
 *
 * A run that exits 75 (oneshot-ctl: queue full, nothing added) is a retry:
 * counted, then tried again after RETRY_MS (default 20).  Exit 0 is an add;
 * its latency (spawn to reaped, of the attempt that succeeded) is kept, and
 * the first line of its output is read as the new id (`-1` when it is not a
 * number).  Any other status, a signal, or no exit within TIMEOUT_S (default
 * 60; the run is then SIGKILLed) is a failed add; after MAXFAIL (default
 * 100) failures every loop stops.  The command's standard error is this
 * program's.
 *
 * With -p PID, the memory of PID (VmRSS, VmHWM, RssAnon, RssShmem from
 * /proc/PID/status, KiB) is read by the loop whose add brings the number of
 * adds to each checkpoint of -k (counted from BASE, so a second call can go
 * on where a first one stopped), and, with -m, once a second by the parent
 * into SERIES: seconds accepted VmRSS VmHWM RssAnon RssShmem.  Seconds are
 * counted from EPOCH (-t, seconds since the epoch, as bash's $EPOCHREALTIME)
 * or else from the start of this program.
 *
 * Prints key=value lines on standard output:
 *   adds ok failed timeouts retries wall_s rate (adds per second of wall
 *   time) p50_us p90_us p99_us max_us mean_us, ids_bad (outputs that were
 *   no id), ids_dup (ids printed more than once), id_min id_max, and one
 *   `mem accepted=K t=S VmRSS=.. VmHWM=.. RssAnon=.. RssShmem=..` line per
 *   checkpoint reached.  With -o, every add's latency in µs goes to LATFILE,
 *   one per line, in the order of the counter.
 * Exit status 0, or 2 on a usage or system error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAXCHECK 32
#define LAT_FAILED UINT64_MAX

struct mem {
	long rss, hwm, anon, shmem;
};

struct sample {
	atomic_int taken;
	long accepted;
	double t;
	struct mem m;
};

struct shared {
	atomic_long next, accepted, failed, timeouts, retries;
	atomic_int stop;
	struct sample samp[MAXCHECK];
};

static struct shared *sh;
static uint64_t *lat;           /* ns per add, LAT_FAILED, or 0: not run */
static long *ids;
static long nadds = 1000, base, ncheck, check[MAXCHECK], maxfail = 100;
static int clients = 1, pid_watch, retry_ms = 20, timeout_s = 60;
static char **cmd;
static double t_start, t_origin;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now_real(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static int read_mem(int pid, struct mem *m)
{
	char path[64], line[256];
	FILE *f;
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	if (!(f = fopen(path, "r")))
		return -1;
	m->rss = m->hwm = m->anon = m->shmem = -1;
	while (fgets(line, sizeof line, f)) {
		if (!strncmp(line, "VmRSS:", 6)) m->rss = atol(line + 6);
		else if (!strncmp(line, "VmHWM:", 6)) m->hwm = atol(line + 6);
		else if (!strncmp(line, "RssAnon:", 8)) m->anon = atol(line + 8);
		else if (!strncmp(line, "RssShmem:", 9)) m->shmem = atol(line + 9);
	}
	fclose(f);
	return 0;
}

/* One run of the command: 0 exit 0, 75 queue full, -1 failed, -2 timeout. */
static int run_once(char *out, size_t outsz, uint64_t *ns)
{
	posix_spawn_file_actions_t fa;
	int p[2], st, rc;
	pid_t pid;
	size_t got = 0;
	uint64_t t0 = now_ns();
	double deadline;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	rc = posix_spawnp(&pid, cmd[0], &fa, NULL, cmd, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (rc) {
		close(p[0]);
		fprintf(stderr, "qadd: %s: %s\n", cmd[0], strerror(rc));
		return -1;
	}
	deadline = now() + timeout_s;
	for (;;) {
		char junk[4096];
		struct pollfd pf = { .fd = p[0], .events = POLLIN };
		int left = (int)((deadline - now()) * 1000);
		ssize_t r;
		if (left <= 0 || poll(&pf, 1, left) == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			close(p[0]);
			return -2;
		}
		if (got + 1 < outsz)
			r = read(p[0], out + got, outsz - 1 - got);
		else
			r = read(p[0], junk, sizeof junk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (got + 1 < outsz)
			got += r;
	}
	out[got] = 0;
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	*ns = now_ns() - t0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 75)
		return 75;
	return -1;
}

static void client(void)
{
	char out[256];
	struct timespec pause = { retry_ms / 1000, (retry_ms % 1000) * 1000000L };
	for (;;) {
		long i = atomic_fetch_add(&sh->next, 1);
		uint64_t ns = 0;
		int rc;
		if (i >= nadds || atomic_load(&sh->stop))
			break;
		while ((rc = run_once(out, sizeof out, &ns)) == 75) {
			atomic_fetch_add(&sh->retries, 1);
			nanosleep(&pause, NULL);
			if (atomic_load(&sh->stop))
				break;
		}
		if (rc == 0) {
			char *end;
			long id = strtol(out, &end, 10);
			long k;
			ids[i] = (end != out && (*end == '\n' || *end == 0)) ? id : -1;
			lat[i] = ns ? ns : 1;
			k = atomic_fetch_add(&sh->accepted, 1) + 1 + base;
			for (int j = 0; j < ncheck; j++)
				if (check[j] == k && pid_watch) {
					struct sample *s = &sh->samp[j];
					s->accepted = k;
					s->t = now_real() - t_origin;
					if (read_mem(pid_watch, &s->m) == 0)
						atomic_store(&s->taken, 1);
				}
		} else {
			lat[i] = LAT_FAILED;
			if (rc == -2)
				atomic_fetch_add(&sh->timeouts, 1);
			if (atomic_fetch_add(&sh->failed, 1) + 1 >= maxfail)
				atomic_store(&sh->stop, 1);
		}
	}
	_exit(0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return x < y ? -1 : x > y;
}

/* nearest rank */
static double pct(const uint64_t *v, long n, double q)
{
	long i;
	if (n == 0)
		return 0;
	i = (long)(q * n + 0.999999) - 1;
	if (i < 0) i = 0;
	if (i >= n) i = n - 1;
	return v[i] / 1e3;
}

static void usage(void)
{
	fprintf(stderr, "usage: qadd [-c CLIENTS] [-n ADDS] [-b BASE] [-p PID] [-k N,N,...] "
		"[-m SERIES] [-t EPOCH] [-o LATFILE] [-r RETRY_MS] [-T TIMEOUT_S] [-F MAXFAIL] -- PROG ARG...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *series = NULL, *latfile = NULL;
	FILE *sf = NULL;
	int opt, alive;
	pid_t *kids;
	double t_end, next_sample;

	while ((opt = getopt(argc, argv, "+c:n:b:p:k:m:t:o:r:T:F:")) != -1) {
		switch (opt) {
		case 'c': clients = atoi(optarg); break;
		case 'n': nadds = atol(optarg); break;
		case 'b': base = atol(optarg); break;
		case 'p': pid_watch = atoi(optarg); break;
		case 'k':
			for (char *s = optarg; *s && ncheck < MAXCHECK; ) {
				check[ncheck++] = strtol(s, &s, 10);
				while (*s == ',') s++;
			}
			break;
		case 'm': series = optarg; break;
		case 't': t_origin = atof(optarg); break;
		case 'o': latfile = optarg; break;
		case 'r': retry_ms = atoi(optarg); break;
		case 'T': timeout_s = atoi(optarg); break;
		case 'F': maxfail = atol(optarg); break;
		default: usage();
		}
	}
	if (optind >= argc || clients < 1 || nadds < 1 || retry_ms < 0 || timeout_s < 1)
		usage();
	cmd = argv + optind;
	if (clients > nadds)
		clients = (int)nadds;

	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	lat = mmap(NULL, nadds * sizeof *lat, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ids = mmap(NULL, nadds * sizeof *ids, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || lat == MAP_FAILED || ids == MAP_FAILED) {
		perror("qadd: mmap");
		return 2;
	}
	if (series && !(sf = fopen(series, "a"))) {
		perror(series);
		return 2;
	}
	kids = calloc(clients, sizeof *kids);
	fflush(NULL);
	t_start = now();
	if (t_origin == 0)
		t_origin = now_real();
	for (int c = 0; c < clients; c++) {
		kids[c] = fork();
		if (kids[c] < 0) {
			perror("qadd: fork");
			atomic_store(&sh->stop, 1);
			clients = c;
			break;
		}
		if (kids[c] == 0)
			client();
	}
	/* the parent: reap the loops; sample the memory once a second */
	alive = clients;
	next_sample = t_start;
	while (alive > 0) {
		int st;
		pid_t w = waitpid(-1, &st, WNOHANG);
		if (w > 0) {
			alive--;
			continue;
		}
		if (w < 0 && errno != EINTR)
			break;
		if (sf && pid_watch && now() >= next_sample) {
			struct mem m;
			if (read_mem(pid_watch, &m) == 0)
				fprintf(sf, "%.1f %ld %ld %ld %ld %ld\n", now_real() - t_origin,
					base + atomic_load(&sh->accepted), m.rss, m.hwm, m.anon, m.shmem);
			fflush(sf);
			next_sample += 1.0;
		}
		usleep(20000);
	}
	t_end = now();
	if (sf && pid_watch) {
		struct mem m;
		if (read_mem(pid_watch, &m) == 0)
			fprintf(sf, "%.1f %ld %ld %ld %ld %ld\n", now_real() - t_origin,
				base + atomic_load(&sh->accepted), m.rss, m.hwm, m.anon, m.shmem);
		fclose(sf);
	}

	/* the figures */
	{
		uint64_t *ok = malloc(nadds * sizeof *ok);
		long *idv = malloc(nadds * sizeof *idv);
		long n = 0, ni = 0, bad = 0, dup = 0;
		double sum = 0, wall = t_end - t_start;
		FILE *lf = latfile ? fopen(latfile, "w") : NULL;
		if (latfile && !lf)
			perror(latfile);
		for (long i = 0; i < nadds; i++) {
			if (lat[i] == 0 || lat[i] == LAT_FAILED)
				continue;
			if (lf)
				fprintf(lf, "%.1f\n", lat[i] / 1e3);
			ok[n++] = lat[i];
			sum += lat[i];
			if (ids[i] < 0)
				bad++;
			else
				idv[ni++] = ids[i];
		}
		if (lf)
			fclose(lf);
		qsort(ok, n, sizeof *ok, cmp_u64);
		qsort(idv, ni, sizeof *idv, cmp_long);
		for (long i = 1; i < ni; i++)
			if (idv[i] == idv[i - 1])
				dup++;
		printf("adds=%ld\nok=%ld\nfailed=%ld\ntimeouts=%ld\nretries=%ld\n", nadds, n,
		       atomic_load(&sh->failed), atomic_load(&sh->timeouts), atomic_load(&sh->retries));
		printf("clients=%d\nwall_s=%.3f\nrate=%.1f\n", clients, wall, wall > 0 ? n / wall : 0);
		printf("p50_us=%.0f\np90_us=%.0f\np99_us=%.0f\nmax_us=%.0f\nmean_us=%.0f\n",
		       pct(ok, n, 0.5), pct(ok, n, 0.9), pct(ok, n, 0.99), n ? ok[n - 1] / 1e3 : 0,
		       n ? sum / n / 1e3 : 0);
		printf("ids_bad=%ld\nids_dup=%ld\nid_min=%ld\nid_max=%ld\n", bad, dup,
		       ni ? idv[0] : -1, ni ? idv[ni - 1] : -1);
		for (int j = 0; j < ncheck; j++) {
			struct sample *s = &sh->samp[j];
			if (atomic_load(&s->taken))
				printf("mem accepted=%ld t=%.1f VmRSS=%ld VmHWM=%ld RssAnon=%ld RssShmem=%ld\n",
				       s->accepted, s->t, s->m.rss, s->m.hwm, s->m.anon, s->m.shmem);
		}
	}
	return 0;
}
