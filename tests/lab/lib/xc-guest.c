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
 *   xc-guest first-read PATH MS [KEY VALUE]
 *                                   wait up to MS for PATH to exist, open it at
 *                                   once (then xs-write KEY VALUE) and read:
 *                                   prints "DATA <n> <line>", "EOF" or
 *                                   "ERROR <errno>"
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
	fprintf(stderr, "usage: xc-guest poll FD in|out MS | xs-write KEY VALUE |\n"
			"       first-read PATH MS | epoll-wait PATH MS\n");
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
#define XS_WRITE 11
#define XS_ERROR 16

static int xs_write(const char *key, const char *value);

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

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "poll"))
		return cmd_poll(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "xs-write"))
		return cmd_xs_write(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "first-read"))
		return cmd_first_read(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "epoll-wait"))
		return cmd_epoll_wait(argc, argv);
	return usage();
}
