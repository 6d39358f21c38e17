// SPDX-License-Identifier: GPL-2.0
/*
 * xc-bench: the load generator of scripts/bench, both ends.
 *
 *   xc-bench hvc|xc BYTES MULTI-BYTES ECHOES NAME...    (in the guest)
 *   xc-bench peer SOCKET NAME INDEX                     (in dom0, per channel)
 *
 * The guest runs the plan over Xen channels, either as ttys of hvc_xen
 * (/dev/hvcN, raw) or as /dev/xen-channel/NAME, and prints one line per figure:
 * "RESULT <json>". The first NAME carries the single-channel figures; all of
 * them (up to 4) the multi-channel ones. The peer serves one channel's socket.
 *
 * Protocol, guest first: "HELLO" (repeated until answered: QEMU holds guest
 * bytes while no client is connected), answered once "ID <name>", which also tells
 * the guest which /dev/hvcN is which channel; "SINK <n>" then n bytes, answered
 * "SUNK <sha256>" once the peer has them all; "SOURCE <n>": the peer sends n
 * bytes; "ECHO <n>": the peer echoes the next n bytes, 64 at a time. Payloads
 * are a SplitMix64 stream (seed: the channel's index), checked at the far end.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_CH 4

/* --- SHA-256 (FIPS 180-4), for checking what arrived ---------------------- */

struct sha256 {
	uint32_t h[8];
	uint64_t len;
	uint8_t buf[64];
	size_t fill;
};

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(struct sha256 *s, const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | p[4 * i + 1] << 16 | p[4 * i + 2] << 8 | p[4 * i + 3];
	for (; i < 64; i++)
		w[i] = (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10)) + w[i - 7] +
		       (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3)) + w[i - 16];
	a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
	e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
	for (i = 0; i < 64; i++) {
		t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
	}
	s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
	s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void sha256_init(struct sha256 *s)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	memcpy(s->h, iv, sizeof(iv));
	s->len = 0;
	s->fill = 0;
}

static void sha256_update(struct sha256 *s, const uint8_t *p, size_t n)
{
	s->len += n;
	while (n) {
		size_t k = 64 - s->fill < n ? 64 - s->fill : n;

		memcpy(s->buf + s->fill, p, k);
		s->fill += k, p += k, n -= k;
		if (s->fill == 64) {
			sha256_block(s, s->buf);
			s->fill = 0;
		}
	}
}

static void sha256_hex(struct sha256 *s, char out[65])
{
	uint64_t bits = s->len * 8;
	uint8_t pad = 0x80, zero = 0, lenb[8];
	int i;

	sha256_update(s, &pad, 1);
	while (s->fill != 56)
		sha256_update(s, &zero, 1);
	for (i = 0; i < 8; i++)
		lenb[i] = bits >> (56 - 8 * i);
	sha256_update(s, lenb, 8);
	for (i = 0; i < 8; i++)
		sprintf(out + 8 * i, "%08x", s->h[i]);
}

/* --- The payload: a SplitMix64 stream ------------------------------------- */

static void pattern(uint64_t seed, uint64_t offset, uint8_t *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t k = (offset + i) / 8, z = seed + (k + 1) * 0x9e3779b97f4a7c15ULL;

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		buf[i] = z >> (8 * ((offset + i) % 8));
	}
}

/* --- Time and CPU ----------------------------------------------------------- */

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

struct cpu {
	double busy, steal, khvcd;
};

static double clk_tck;

/* /proc/stat's busy (user, nice, system, irq, softirq) and steal ticks, and the
 * CPU time of hvc's khvcd thread (under Xen its polling also shows as steal). */
static struct cpu cpu_now(void)
{
	unsigned long long v[10] = { 0 };
	struct cpu c = { 0 };
	char path[300], comm[64];
	struct dirent *de;
	FILE *f = fopen("/proc/stat", "r");
	DIR *d;

	if (f) {
		if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
			   &v[4], &v[5], &v[6], &v[7]) != 8)
			memset(v, 0, sizeof(v));
		fclose(f);
	}
	c.busy = (v[0] + v[1] + v[2] + v[5] + v[6]) / clk_tck;
	c.steal = v[7] / clk_tck;
	d = opendir("/proc");
	while (d && (de = readdir(d))) {
		unsigned long ut, st;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f) || strcmp(comm, "khvcd\n")) {
			fclose(f);
			continue;
		}
		fclose(f);
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		f = fopen(path, "r");
		if (f && fscanf(f, "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
				&st) == 2)
			c.khvcd = (ut + st) / clk_tck;
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return c;
}

/* --- Channels --------------------------------------------------------------- */

static int fds[MAX_CH], nch;
static const char *names[MAX_CH];

static void die(const char *what)
{
	printf("ERROR %s: %s\n", what, strerror(errno));
	fflush(stdout);
	exit(2);
}

static void write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t k = write(fd, b, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			die("write");
		b += k, n -= k;
	}
}

static void read_all(int fd, void *p, size_t n)
{
	uint8_t *b = p;

	while (n) {
		ssize_t k = read(fd, b, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			die(k ? "read" : "read: end of file");
		b += k, n -= k;
	}
}

static void read_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	while (n + 1 < cap) {
		read_all(fd, buf + n, 1);
		if (buf[n++] == '\n')
			break;
	}
	buf[n] = 0;
}

static void say(int fd, const char *fmt, unsigned long v)
{
	char line[64];

	snprintf(line, sizeof(line), fmt, v);
	write_all(fd, line, strlen(line));
}

/* Says HELLO until the peer answers; returns its ID line's name. */
static void hello(int fd, char *line, size_t cap)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		write_all(fd, "HELLO\n", 6);
		if (poll(&p, 1, 1000) <= 0)
			continue;
		read_line(fd, line, cap);
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "ID ", 3))
			return;
	}
}

/* Opens the channels: for hvc, every live /dev/hvcN, matched by the peer's ID line. */
static void open_channels(const char *mode, int argc, char **argv)
{
	int i, t;

	nch = argc;
	for (i = 0; i < nch; i++) {
		names[i] = argv[i];
		fds[i] = -1;
	}
	if (!strcmp(mode, "xc")) {
		for (i = 0; i < nch; i++) {
			char path[200];

			snprintf(path, sizeof(path), "/dev/xen-channel/%s", names[i]);
			fds[i] = open(path, O_RDWR);
			if (fds[i] < 0)
				die(path);
			hello(fds[i], path, sizeof(path));
		}
		return;
	}
	for (t = 1; t < 8; t++) {
		char path[32], line[200];
		struct termios tio;
		int fd;

		snprintf(path, sizeof(path), "/dev/hvc%d", t);
		fd = open(path, O_RDWR | O_NOCTTY);
		if (fd < 0)
			continue;
		tcgetattr(fd, &tio);
		cfmakeraw(&tio);
		tcsetattr(fd, TCSANOW, &tio);
		tcflush(fd, TCIOFLUSH);
		hello(fd, line, sizeof(line));
		for (i = 0; i < nch; i++)
			if (!strncmp(line, "ID ", 3) && !strcmp(line + 3, names[i]))
				fds[i] = fd;
	}
	for (i = 0; i < nch; i++)
		if (fds[i] < 0) {
			printf("ERROR no hvc tty for %s\n", names[i]);
			exit(2);
		}
}

/* --- Figures ---------------------------------------------------------------- */

struct xfer {
	int ch, outbound;
	size_t bytes;
	double seconds;
	int ok;
};

/* One transfer of x->bytes over channel x->ch, timed from the command to the
 * last byte (dom0->guest) or to the peer's SUNK (guest->dom0). */
static void *transfer(void *arg)
{
	struct xfer *x = arg;
	int fd = fds[x->ch];
	static __thread uint8_t buf[65536];
	char line[200], hex[65];
	struct sha256 s;
	size_t done = 0;
	double t0 = now();

	sha256_init(&s);
	if (x->outbound) {
		say(fd, "SINK %lu\n", x->bytes);
		while (done < x->bytes) {
			size_t k = x->bytes - done < sizeof(buf) ? x->bytes - done : sizeof(buf);

			pattern(x->ch, done, buf, k);
			sha256_update(&s, buf, k);
			write_all(fd, buf, k);
			done += k;
		}
		read_line(fd, line, sizeof(line));
		x->seconds = now() - t0;
		sha256_hex(&s, hex);
		x->ok = !strncmp(line, "SUNK ", 5) && !strncmp(line + 5, hex, 64);
	} else {
		uint8_t want[65536];

		say(fd, "SOURCE %lu\n", x->bytes);
		x->ok = 1;
		while (done < x->bytes) {
			ssize_t k = read(fd, buf, x->bytes - done < sizeof(buf) ? x->bytes - done : sizeof(buf));

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				die("read");
			pattern(100 + x->ch, done, want, k);
			x->ok &= !memcmp(buf, want, k);
			done += k;
		}
		x->seconds = now() - t0;
	}
	return NULL;
}

static void throughput(const char *figure, int channels, size_t bytes, int outbound)
{
	struct xfer x[MAX_CH];
	pthread_t th[MAX_CH];
	struct cpu c0 = cpu_now(), c1;
	double t0 = now(), t1, mib;
	int i, ok = 1;

	for (i = 0; i < channels; i++) {
		x[i] = (struct xfer){ .ch = i, .outbound = outbound, .bytes = bytes };
		pthread_create(&th[i], NULL, transfer, &x[i]);
	}
	for (i = 0; i < channels; i++) {
		pthread_join(th[i], NULL);
		ok &= x[i].ok;
	}
	t1 = now();
	c1 = cpu_now();
	mib = (double)bytes * channels / (1 << 20);
	printf("RESULT {\"figure\": \"%s\", \"channels\": %d, \"bytes\": %zu, \"seconds\": %.4f, "
	       "\"mib_per_s\": %.4f, \"cpu_busy_s_per_mib\": %.5f, \"cpu_steal_s_per_mib\": %.5f, "
	       "\"khvcd_s_per_mib\": %.5f, \"intact\": %s}\n",
	       figure, channels, bytes * channels, t1 - t0, mib / (t1 - t0), (c1.busy - c0.busy) / mib,
	       (c1.steal - c0.steal) / mib, (c1.khvcd - c0.khvcd) / mib, ok ? "true" : "false");
	fflush(stdout);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* @count round trips of 64 bytes, @gap seconds apart (0: back to back). */
static void echo(const char *figure, int count, double gap)
{
	int fd = fds[0], i;
	double *rtt = calloc(count, sizeof(double));
	uint8_t msg[64], back[64];
	int ok = 1;

	say(fd, "ECHO %lu\n", (unsigned long)count * 64);
	for (i = 0; i < count; i++) {
		double t0;

		if (gap > 0)
			usleep(gap * 1e6);
		pattern(7, i * 64, msg, 64);
		t0 = now();
		write_all(fd, msg, 64);
		read_all(fd, back, 64);
		rtt[i] = (now() - t0) * 1e3;
		ok &= !memcmp(msg, back, 64);
	}
	qsort(rtt, count, sizeof(double), cmp_double);
	printf("RESULT {\"figure\": \"%s\", \"count\": %d, \"gap_s\": %.1f, \"p50_ms\": %.4f, "
	       "\"p99_ms\": %.4f, \"max_ms\": %.4f, \"intact\": %s}\n",
	       figure, count, gap, rtt[count / 2], rtt[(count * 99) / 100 < count ? (count * 99) / 100 : count - 1],
	       rtt[count - 1], ok ? "true" : "false");
	fflush(stdout);
	free(rtt);
}

/* --- The dom0 peer ------------------------------------------------------------ */

static void peer(const char *path, const char *name, int index)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static uint8_t buf[65536];
	char line[200], hex[65];
	int fd, tries;

	strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
	for (tries = 0;; tries++) {
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		close(fd);
		if (tries > 3000)
			die(path);
		usleep(100000);
	}
	for (int said_id = 0;;) {
		unsigned long n, done = 0;
		struct sha256 s;

		read_line(fd, line, sizeof(line));
		if (!strcmp(line, "HELLO\n")) {
			/* Once: a guest that repeated HELLO must not find a second ID later. */
			if (said_id++)
				continue;
			snprintf(line, sizeof(line), "ID %s\n", name);
			write_all(fd, line, strlen(line));
		} else if (sscanf(line, "SINK %lu", &n) == 1) {
			sha256_init(&s);
			while (done < n) {
				size_t k = n - done < sizeof(buf) ? n - done : sizeof(buf);
				ssize_t got = read(fd, buf, k);

				if (got <= 0)
					die("sink");
				sha256_update(&s, buf, got);
				done += got;
			}
			sha256_hex(&s, hex);
			snprintf(line, sizeof(line), "SUNK %s\n", hex);
			write_all(fd, line, strlen(line));
		} else if (sscanf(line, "SOURCE %lu", &n) == 1) {
			while (done < n) {
				size_t k = n - done < sizeof(buf) ? n - done : sizeof(buf);

				pattern(100 + index, done, buf, k);
				write_all(fd, buf, k);
				done += k;
			}
		} else if (sscanf(line, "ECHO %lu", &n) == 1) {
			for (; done < n; done += 64) {
				read_all(fd, buf, 64);
				write_all(fd, buf, 64);
			}
		}
	}
}

int main(int argc, char **argv)
{
	size_t bytes, multi;
	int echoes;

	if (argc == 5 && !strcmp(argv[1], "peer")) {
		peer(argv[2], argv[3], atoi(argv[4]));
		return 0;
	}
	if (argc < 6 || argc > 5 + MAX_CH) {
		fprintf(stderr, "usage: xc-bench hvc|xc BYTES MULTI-BYTES ECHOES NAME...\n"
				"       xc-bench peer SOCKET NAME INDEX\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	clk_tck = sysconf(_SC_CLK_TCK);
	bytes = strtoul(argv[2], NULL, 0);
	multi = strtoul(argv[3], NULL, 0);
	echoes = atoi(argv[4]);
	open_channels(argv[1], argc - 5, argv + 5);
	throughput("guest_to_dom0", 1, bytes, 1);
	throughput("dom0_to_guest", 1, bytes, 0);
	echo("echo_back_to_back", echoes, 0);
	echo("echo_after_0.2s", 10, 0.2);
	echo("echo_after_1s", 5, 1);
	echo("echo_after_5s", 3, 5);
	if (nch > 1) {
		throughput("multi_guest_to_dom0", nch, multi, 1);
		throughput("multi_dom0_to_guest", nch, multi, 0);
	}
	printf("DONE\n");
	return 0;
}
