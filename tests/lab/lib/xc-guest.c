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
#include <time.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr, "usage: xc-guest poll FD in|out MS | xs-write KEY VALUE | xs-wait KEY VALUE MS |\n"
			"       first-read PATH MS [KEY VALUE] | epoll-wait PATH MS [KEY VALUE] |\n"
			"       hwrng-check PATH BYTES SEED | drain PATH QUIET_MS MAX_MS\n");
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

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "poll"))
		return cmd_poll(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "xs-write"))
		return cmd_xs_write(argc, argv);
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
	return usage();
}
