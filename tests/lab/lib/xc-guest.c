// SPDX-License-Identifier: GPL-2.0
/*
 * xc-guest: small tools for the guest side of lab tests, where busybox has no
 * equivalent. scripts/lab builds it static and puts it in every domU as
 * /bin/xc-guest. Exit status 0 on success, 1 on a failed wait, 2 on errors.
 *
 *   xc-guest poll FD in|out MS      wait until FD (inherited) is readable or
 *                                   writable, without reading or writing;
 *                                   prints the revents
 *   xc-guest xs-write KEY VALUE     write KEY (relative: under the domain's
 *                                   xenstore home, e.g. data/x) through
 *                                   /dev/xen/xenbus: a way to talk to dom0 that
 *                                   does not use the module under test
 *   xc-guest xs-read KEY            print KEY's value (status 1 if it is missing)
 *   xc-guest xs-wait KEY VALUE MS   wait up to MS until KEY reads VALUE (dom0
 *                                   writes it under the domain's home)
 *   xc-guest first-read PATH MS [KEY VALUE]
 *                                   wait up to MS for PATH to exist, open it at
 *                                   once (then xs-write KEY VALUE) and read:
 *                                   prints "DATA <n> <line>", "EOF" or
 *                                   "ERROR <errno>"
 *   xc-guest hwrng-check PATH BYTES SEED
 *                                   read BYTES from PATH (/dev/hwrng) and check
 *                                   them against the SplitMix64 stream of SEED
 *                                   (tools/xen-channel-rng-feeder --stream): in
 *                                   order, none repeated, gaps allowed (other
 *                                   readers, a feeder that restarted further on);
 *                                   prints "OK bytes <n> gaps <g> bytes/s <r>"
 *   xc-guest epoll-wait PATH MS [KEY VALUE]
 *                                   the same, but epoll (level-triggered,
 *                                   EPOLLIN) until bytes arrive, counting the
 *                                   wakeups: "WAKEUPS <n> HUP <n> DATA <n>"
 *   xc-guest drain PATH QUIET_MS MAX_MS
 *                                   read non-blocking until EAGAIN for QUIET_MS:
 *                                   "DRAINED bytes <n> eagain <m>"
 *   xc-guest probe PATH|-FD [write]
 *                                   open PATH (or use inherited FD; -FD sets or
 *                                   clears O_NONBLOCK on it as asked) non-blocking:
 *                                   one read, with "write" one 1-byte write, and
 *                                   poll(0): "READ <ret> <errno> WRITE <ret>
 *                                   <errno> POLL <bits>" (WRITE - - unless asked)
 *   xc-guest cat PATH|- [MAX]       copy PATH (or stdin) to stdout until end of
 *                                   file, an error or MAX bytes; on stderr
 *                                   "END bytes <n> eof|max|errno <e>"; status 0
 *                                   only for eof and max
 *   xc-guest verify-stream PATH|- SEED [OFFSET]
 *                                   read until end of file or an error, each
 *                                   byte checked against the SplitMix64 stream
 *                                   of SEED from OFFSET: "VERIFIED bytes <n>
 *                                   eof|errno <e>" or "MISMATCH at <n>"
 *   xc-guest write-stream PATH|- BYTES SEED [OFFSET [nonblock]]
 *                                   write BYTES of the SplitMix64 stream of SEED
 *                                   from OFFSET to PATH (or stdout); prints
 *                                   "WROTE <n> errno <e>" (0: all written);
 *                                   non-blocking, it stops at the first EAGAIN
 *   xc-guest roundtrip PATH BYTES SEED
 *                                   write BYTES of the SplitMix64 stream of SEED to
 *                                   PATH and read as many back (a peer echoes),
 *                                   both at once, checking every byte: "ROUNDTRIP
 *                                   ok <n>" or "ROUNDTRIP bad ..."
 *   xc-guest responsive MS INTERVAL_MS
 *                                   for MS, every INTERVAL_MS, time a fork, exec
 *                                   and exit of /bin/true: "RESPONSIVE runs <n>
 *                                   max_ms <m>"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr, "usage: xc-guest poll FD in|out MS | xs-write KEY VALUE | xs-read KEY | xs-wait KEY VALUE MS |\n"
			"       first-read PATH MS [KEY VALUE] | epoll-wait PATH MS [KEY VALUE] |\n"
			"       hwrng-check PATH BYTES SEED | drain PATH QUIET_MS MAX_MS |\n"
			"       probe PATH|-FD [write] | cat PATH|- [MAX] |\n"
			"       write-stream PATH|- BYTES SEED [OFFSET [nonblock]] | verify-stream PATH|- SEED [OFFSET] |\n"
			"       roundtrip PATH BYTES SEED | responsive MS INTERVAL_MS\n");
	return 2;
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int cmd_poll(int argc, char **argv)
{
	struct pollfd p;
	int n;

	if (argc != 5)
		return usage();
	p.fd = atoi(argv[2]);
	p.events = strcmp(argv[3], "out") ? POLLIN : POLLOUT;
	p.revents = 0;
	do
		n = poll(&p, 1, atoi(argv[4]));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		perror("poll");
		return 2;
	}
	printf("%s%s%s%s\n", p.revents & POLLIN ? "IN " : "", p.revents & POLLOUT ? "OUT " : "",
	       p.revents & POLLHUP ? "HUP " : "", p.revents & POLLERR ? "ERR " : "");
	return n == 1 && (p.revents & p.events) ? 0 : 1;
}

/* include/xen/interface/io/xs_wire.h */
struct xsd_sockmsg {
	uint32_t type, req_id, tx_id, len;
};
#define XS_READ 2
#define XS_WRITE 11
#define XS_ERROR 16

static int xs_write(const char *key, const char *value);

/* Reads KEY into @value (NUL-terminated); 0 on success. */
static int xs_read(const char *key, char *value, size_t cap)
{
	char msg[sizeof(struct xsd_sockmsg) + 4096], reply[sizeof(struct xsd_sockmsg) + 4096];
	struct xsd_sockmsg *h = (void *)msg, *r = (void *)reply;
	size_t klen = strlen(key) + 1;
	ssize_t n;
	int fd;

	if (klen > 4096)
		return -1;
	*h = (struct xsd_sockmsg){ .type = XS_READ, .req_id = 2, .len = klen };
	memcpy(msg + sizeof(*h), key, klen);
	fd = open("/dev/xen/xenbus", O_RDWR);
	if (fd < 0)
		return -1;
	if (write(fd, msg, sizeof(*h) + klen) < 0) {
		close(fd);
		return -1;
	}
	n = read(fd, reply, sizeof(reply));
	close(fd);
	if (n < (ssize_t)sizeof(*r) || r->type == XS_ERROR || r->len >= cap)
		return -1;
	memcpy(value, reply + sizeof(*r), r->len);
	value[r->len] = 0;
	return 0;
}

static int cmd_xs_wait(int argc, char **argv)
{
	long deadline;
	char value[4096];

	if (argc != 5)
		return usage();
	deadline = now_ms() + atol(argv[4]);
	while (now_ms() < deadline) {
		if (!xs_read(argv[2], value, sizeof(value)) && !strcmp(value, argv[3]))
			return 0;
		usleep(100000);
	}
	return 1;
}

static int cmd_xs_read(int argc, char **argv)
{
	char value[4096];

	if (argc != 3)
		return usage();
	if (xs_read(argv[2], value, sizeof(value)))
		return 1;
	printf("%s\n", value);
	return 0;
}

static int cmd_xs_write(int argc, char **argv)
{
	if (argc != 4)
		return usage();
	return xs_write(argv[2], argv[3]);
}

static int xs_write(const char *key, const char *value)
{
	char msg[sizeof(struct xsd_sockmsg) + 4096], reply[4096];
	struct xsd_sockmsg *h = (void *)msg;
	size_t klen, vlen;
	ssize_t n;
	int fd;

	klen = strlen(key) + 1;
	vlen = strlen(value);
	if (klen + vlen > 4096)
		return usage();
	*h = (struct xsd_sockmsg){ .type = XS_WRITE, .req_id = 1, .len = klen + vlen };
	memcpy(msg + sizeof(*h), key, klen);
	memcpy(msg + sizeof(*h) + klen, value, vlen);
	fd = open("/dev/xen/xenbus", O_RDWR);
	if (fd < 0) {
		perror("/dev/xen/xenbus");
		return 2;
	}
	if (write(fd, msg, sizeof(*h) + klen + vlen) < 0) {
		perror("xenbus write");
		return 2;
	}
	n = read(fd, reply, sizeof(reply) - 1);
	close(fd);
	if (n < (ssize_t)sizeof(*h) || ((struct xsd_sockmsg *)reply)->type == XS_ERROR) {
		reply[n > 0 ? n : 0] = 0;
		fprintf(stderr, "xs-write %s: %s\n", key,
			n > (ssize_t)sizeof(*h) ? reply + sizeof(*h) : "no reply");
		return 2;
	}
	return 0;
}

/*
 * Waits up to @ms for @path to exist; opens it as soon as it does, then writes
 * argv[4] = argv[5] to xenstore if given.
 */
static int open_when_there(int argc, char **argv)
{
	const char *path = argv[2];
	long ms = atol(argv[3]);
	long deadline = now_ms() + ms;
	struct stat st;
	int fd;

	while (stat(path, &st) != 0) {
		if (now_ms() > deadline) {
			printf("NO-NODE\n");
			exit(1);
		}
		usleep(2000);
	}
	fd = open(path, O_RDWR);
	if (fd < 0) {
		printf("ERROR open %d\n", errno);
		exit(2);
	}
	if (argc == 6 && xs_write(argv[4], argv[5]))
		exit(2);
	return fd;
}

static int cmd_first_read(int argc, char **argv)
{
	char buf[256];
	ssize_t n;
	int fd;

	if (argc != 4 && argc != 6)
		return usage();
	fd = open_when_there(argc, argv);
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		printf("ERROR %d\n", errno);
		return 2;
	}
	if (n == 0) {
		printf("EOF\n");
		return 1;
	}
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	printf("DATA %zd %s\n", n, buf);
	return 0;
}

static int cmd_epoll_wait(int argc, char **argv)
{
	struct epoll_event ev = { .events = EPOLLIN }, got;
	long wakeups = 0, hups = 0;
	char buf[256];
	int fd, ep, n;

	if (argc != 4 && argc != 6)
		return usage();
	fd = open_when_there(argc, argv);
	ep = epoll_create1(0);
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	for (;;) {
		n = epoll_wait(ep, &got, 1, 120000);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			printf("TIMEOUT WAKEUPS %ld HUP %ld\n", wakeups, hups);
			return 1;
		}
		wakeups++;
		if (got.events & EPOLLHUP)
			hups++;
		if (got.events & EPOLLIN) {
			n = read(fd, buf, sizeof(buf));
			printf("WAKEUPS %ld HUP %ld DATA %d\n", wakeups, hups, n);
			return n > 0 ? 0 : 1;
		}
		/* A loop that spins on HUP would count millions here. */
		if (wakeups > 100000) {
			printf("SPINNING WAKEUPS %ld HUP %ld\n", wakeups, hups);
			return 1;
		}
	}
}

/* Byte @i of the SplitMix64 stream of @seed (the feeder's, 8 bytes a word). */
static uint8_t stream_byte(uint64_t seed, uint64_t i)
{
	uint64_t z = seed + (i / 8 + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return z >> (8 * (i % 8));
}

#define STREAM_LIMIT (16u << 20)

static int cmd_hwrng_check(int argc, char **argv)
{
	size_t want, got = 0, gaps = 0, pos = 0, i;
	uint8_t *stream, *data;
	uint64_t seed;
	long t0;
	int fd;

	if (argc != 5)
		return usage();
	want = strtoul(argv[3], NULL, 0);
	seed = strtoull(argv[4], NULL, 0);
	stream = malloc(STREAM_LIMIT);
	data = malloc(want);
	if (!stream || !data)
		return 2;
	for (i = 0; i < STREAM_LIMIT; i++)
		stream[i] = stream_byte(seed, i);
	fd = open(argv[2], O_RDONLY);
	if (fd < 0) {
		printf("ERROR open %d\n", errno);
		return 2;
	}
	t0 = now_ms();
	while (got < want) {
		ssize_t n = read(fd, data + got, want - got < 4096 ? want - got : 4096);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			printf("ERROR read %zd errno %d after %zu bytes\n", n, errno, got);
			return 2;
		}
		got += n;
	}
	t0 = now_ms() - t0;
	/*
	 * Walk the bytes along the stream: where they stop matching, the next 16
	 * must be found further on (a gap: bytes another reader took, or a feeder
	 * that restarted further on). Never backwards: nothing repeated.
	 */
	for (i = 0; i < got;) {
		if (pos < STREAM_LIMIT && data[i] == stream[pos]) {
			i++, pos++;
			continue;
		}
		if (got - i < 16) {
			printf("BAD tail of %zu bytes at %zu does not follow stream offset %zu\n", got - i, i,
			       pos);
			return 1;
		}
		{
			uint8_t *at = memmem(stream + pos, STREAM_LIMIT - pos, data + i, 16);

			if (!at) {
				printf("BAD bytes at %zu are not in the stream after offset %zu\n", i, pos);
				return 1;
			}
			pos = at - stream;
			gaps++;
		}
	}
	printf("OK bytes %zu gaps %zu bytes/s %ld\n", got, gaps, t0 > 0 ? (long)(got * 1000 / t0) : 0);
	return 0;
}

/*
 * drain PATH QUIET_MS MAX_MS: reads PATH non-blocking until it has said EAGAIN
 * for QUIET_MS in a row; prints "DRAINED bytes N eagain M". Fails when a read
 * fails otherwise, returns end of file, or MAX_MS pass first.
 */
static int cmd_drain(int argc, char **argv)
{
	long quiet_ms, deadline, quiet_since = -1;
	size_t bytes = 0, eagain = 0;
	char data[4096];
	int fd;

	if (argc != 5)
		return usage();
	quiet_ms = atol(argv[3]);
	deadline = now_ms() + atol(argv[4]);
	fd = open(argv[2], O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		printf("ERROR open %d\n", errno);
		return 2;
	}
	while (now_ms() < deadline) {
		ssize_t n = read(fd, data, sizeof(data));

		if (n > 0) {
			bytes += n;
			quiet_since = -1;
			continue;
		}
		if (n < 0 && errno == EAGAIN) {
			eagain++;
			if (quiet_since < 0)
				quiet_since = now_ms();
			else if (now_ms() - quiet_since >= quiet_ms)
				break;
			usleep(50000);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		printf("ERROR read %zd errno %d after %zu bytes\n", n, n < 0 ? errno : 0, bytes);
		return 1;
	}
	printf("%s bytes %zu eagain %zu\n", quiet_since >= 0 && now_ms() - quiet_since >= quiet_ms ?
	       "DRAINED" : "TIMEOUT", bytes, eagain);
	return quiet_since >= 0 && now_ms() - quiet_since >= quiet_ms ? 0 : 1;
}

/* Opens PATH with @flags, or for "-FD" uses inherited FD with @flags set on it. */
static int open_or_fd(const char *path, int flags)
{
	int fd;

	if (path[0] == '-' && path[1]) {
		int fl;

		/* O_NONBLOCK lives in the open file, which other processes share. */
		fd = atoi(path + 1);
		fl = fcntl(fd, F_GETFL);
		if (fl < 0)
			return -1;
		fl = flags & O_NONBLOCK ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
		if (fcntl(fd, F_SETFL, fl) < 0)
			return -1;
		return fd;
	}
	if (!strcmp(path, "-"))
		return (flags & O_ACCMODE) == O_RDONLY ? 0 : 1;
	return open(path, flags);
}

static int cmd_probe(int argc, char **argv)
{
	struct pollfd p;
	char byte = 'x';
	ssize_t r, w = 0;
	int fd, re, we = 0;

	if (argc != 3 && argc != 4)
		return usage();
	fd = open_or_fd(argv[2], O_RDWR | O_NONBLOCK);
	if (fd < 0) {
		printf("OPEN -1 %d\n", errno);
		return 1;
	}
	errno = 0;
	r = read(fd, &byte, 1);
	re = r < 0 ? errno : 0;
	if (argc == 4) {
		errno = 0;
		w = write(fd, "x", 1);
		we = w < 0 ? errno : 0;
	}
	p = (struct pollfd){ .fd = fd, .events = POLLIN | POLLOUT };
	poll(&p, 1, 0);
	/* An inherited file is shared: leave it blocking, as it was. */
	if (argv[2][0] == '-' && argv[2][1])
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	printf("READ %zd %d WRITE ", r, re);
	if (argc == 4)
		printf("%zd %d", w, we);
	else
		printf("- -");
	printf(" POLL %s%s%s%s\n", p.revents & POLLIN ? "IN " : "", p.revents & POLLOUT ? "OUT " : "",
	       p.revents & POLLHUP ? "HUP " : "", p.revents & POLLERR ? "ERR " : "");
	return 0;
}

static int cmd_cat(int argc, char **argv)
{
	unsigned long long max = ~0ULL, total = 0;
	static char buf[65536];
	int fd;

	if (argc != 3 && argc != 4)
		return usage();
	if (argc == 4)
		max = strtoull(argv[3], NULL, 0);
	fd = open_or_fd(argv[2], O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "END bytes 0 errno %d\n", errno);
		return 1;
	}
	while (total < max) {
		size_t want = max - total < sizeof(buf) ? max - total : sizeof(buf);
		ssize_t n = read(fd, buf, want), off = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "END bytes %llu errno %d\n", total, errno);
			return 1;
		}
		if (n == 0) {
			fprintf(stderr, "END bytes %llu eof\n", total);
			return 0;
		}
		while (off < n) {
			ssize_t k = write(1, buf + off, n - off);

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				fprintf(stderr, "END bytes %llu stdout errno %d\n", total, errno);
				return 1;
			}
			off += k;
		}
		total += n;
	}
	fprintf(stderr, "END bytes %llu max\n", total);
	return 0;
}

static int cmd_verify_stream(int argc, char **argv)
{
	unsigned long long off = 0, total = 0;
	static uint8_t buf[65536];
	uint64_t seed;
	int fd;

	if (argc != 4 && argc != 5)
		return usage();
	seed = strtoull(argv[3], NULL, 0);
	if (argc == 5)
		off = strtoull(argv[4], NULL, 0);
	fd = open_or_fd(argv[2], O_RDONLY);
	if (fd < 0) {
		printf("VERIFIED bytes 0 errno %d\n", errno);
		return 1;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf)), i;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			printf("VERIFIED bytes %llu errno %d\n", total, errno);
			return 1;
		}
		if (n == 0) {
			printf("VERIFIED bytes %llu eof\n", total);
			return 0;
		}
		for (i = 0; i < n; i++) {
			if (buf[i] != stream_byte(seed, off + total + i)) {
				printf("MISMATCH at %llu\n", total + i);
				return 1;
			}
		}
		total += n;
	}
}

static int cmd_write_stream(int argc, char **argv)
{
	unsigned long long want, off = 0, done = 0;
	int fd, nonblock = 0, err = 0;
	static uint8_t buf[16384];
	uint64_t seed;

	if (argc < 5 || argc > 7)
		return usage();
	want = strtoull(argv[3], NULL, 0);
	seed = strtoull(argv[4], NULL, 0);
	if (argc >= 6)
		off = strtoull(argv[5], NULL, 0);
	nonblock = argc == 7 && !strcmp(argv[6], "nonblock");
	fd = open_or_fd(argv[2], O_WRONLY | (nonblock ? O_NONBLOCK : 0));
	if (fd < 0) {
		printf("WROTE 0 errno %d\n", errno);
		return 1;
	}
	while (done < want) {
		size_t n = want - done < sizeof(buf) ? want - done : sizeof(buf), i;
		ssize_t k;

		for (i = 0; i < n; i++)
			buf[i] = stream_byte(seed, off + done + i);
		k = write(fd, buf, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			err = errno;
			break;
		}
		done += k;
	}
	/* Beside the stream on stdout, the result goes to stderr. */
	fprintf(fd == 1 ? stderr : stdout, "WROTE %llu errno %d\n", done, err);
	fflush(stdout);
	return err && !(nonblock && err == EAGAIN) ? 1 : 0;
}

static int cmd_roundtrip(int argc, char **argv)
{
	unsigned long long want, sent = 0, got = 0;
	static uint8_t out[16384], in[16384];
	uint64_t seed;
	int fd;

	if (argc != 5)
		return usage();
	want = strtoull(argv[3], NULL, 0);
	seed = strtoull(argv[4], NULL, 0);
	fd = open(argv[2], O_RDWR | O_NONBLOCK);
	if (fd < 0) {
		printf("ROUNDTRIP bad open errno %d\n", errno);
		return 1;
	}
	while (got < want) {
		struct pollfd p = { .fd = fd, .events = POLLIN | (sent < want ? POLLOUT : 0) };
		ssize_t n, i;

		if (poll(&p, 1, 120000) == 0) {
			printf("ROUNDTRIP bad timeout sent %llu got %llu\n", sent, got);
			return 1;
		}
		if (sent < want && (p.revents & POLLOUT)) {
			size_t k = want - sent < sizeof(out) ? want - sent : sizeof(out);

			for (i = 0; i < (ssize_t)k; i++)
				out[i] = stream_byte(seed, sent + i);
			n = write(fd, out, k);
			if (n < 0 && errno != EAGAIN) {
				printf("ROUNDTRIP bad write errno %d sent %llu got %llu\n", errno, sent, got);
				return 1;
			}
			sent += n > 0 ? n : 0;
		}
		n = read(fd, in, sizeof(in));
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			printf("ROUNDTRIP bad read %zd errno %d sent %llu got %llu\n", n, errno, sent, got);
			return 1;
		}
		for (i = 0; i < n; i++) {
			if (in[i] != stream_byte(seed, got + i)) {
				printf("ROUNDTRIP bad mismatch at %llu\n", got + i);
				return 1;
			}
		}
		got += n > 0 ? n : 0;
	}
	printf("ROUNDTRIP ok %llu\n", got);
	return 0;
}

static int cmd_responsive(int argc, char **argv)
{
	long end, interval, max = 0, runs = 0;

	if (argc != 4)
		return usage();
	end = now_ms() + atol(argv[2]);
	interval = atol(argv[3]);
	while (now_ms() < end) {
		long t0 = now_ms(), dt;
		pid_t pid = fork();

		if (pid == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		if (pid < 0)
			return 2;
		waitpid(pid, NULL, 0);
		dt = now_ms() - t0;
		if (dt > max)
			max = dt;
		runs++;
		usleep(interval * 1000);
	}
	printf("RESPONSIVE runs %ld max_ms %ld\n", runs, max);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "poll"))
		return cmd_poll(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "xs-write"))
		return cmd_xs_write(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "xs-read"))
		return cmd_xs_read(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "xs-wait"))
		return cmd_xs_wait(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "first-read"))
		return cmd_first_read(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "epoll-wait"))
		return cmd_epoll_wait(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "hwrng-check"))
		return cmd_hwrng_check(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "drain"))
		return cmd_drain(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "probe"))
		return cmd_probe(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "cat"))
		return cmd_cat(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "verify-stream"))
		return cmd_verify_stream(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "write-stream"))
		return cmd_write_stream(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "roundtrip"))
		return cmd_roundtrip(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "responsive"))
		return cmd_responsive(argc, argv);
	return usage();
}
