// SPDX-License-Identifier: GPL-2.0
/*
 * xc-races NODE CYCLES MAX_SECONDS: open/close cycles of a channel node racing
 * with reads, writes, polls (epoll, edge- and level-triggered) and SIGIO from
 * other threads, for tests/lab/races (the shell unbinds and binds the device
 * meanwhile).
 *
 * One thread opens the node (non-blocking), leaves the file open for a moment
 * and closes it, CYCLES times. Worker threads take the file that is open at the
 * moment (dup() of it, so that the last close of a cycle may come from any
 * thread, with an operation in flight) and run one operation on it: read,
 * write, a poll or epoll wait, or turning O_ASYNC on or off. Every errno a
 * channel may legitimately return is counted; any other is a failure.
 *
 * Prints one summary line:
 *   "RACES opens <n> busy <n> gone <n> ops read <n> write <n> poll <n> epoll <n>
 *    async <n> sigio <n> bytes-in <n> bytes-out <n> unexpected <n>"
 * Exit status 0 if CYCLES opens happened within MAX_SECONDS and nothing
 * unexpected was seen.
 *
 * xc-races --traffic NODE: opens NODE and moves bytes both ways (writes what
 * fits, reads what comes) until an operation fails (the device goes away);
 * prints "TRAFFIC in <n> out <n> end <errno name>". Status 0 if it ended with
 * ENODEV or EPIPE (unbind, unload, hang-up).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

static const char *node;
static atomic_int current = -1;
static atomic_int stop;
static atomic_long opens, busy, gone, n_read, n_write, n_poll, n_epoll, n_async, sigio, bytes_in,
	bytes_out, unexpected;

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Errnos a channel file may return while it is opened, closed, unbound and bound. */
static void check_errno(const char *op, int e)
{
	switch (e) {
	case EAGAIN:	/* non-blocking, nothing to read or no room */
	case EBADF:	/* the fd was closed between load and dup */
	case ENODEV:	/* the device was unbound */
	case EPIPE:	/* the backend hung up (the device was unbound under it) */
	case EINTR:	/* SIGIO */
	case EINVAL:	/* dup() got an fd number reused by an epoll file */
	case EPERM:	/* epoll_ctl on such an fd */
	case ENOTTY:
		return;
	}
	atomic_fetch_add(&unexpected, 1);
	fprintf(stderr, "unexpected: %s: %s\n", op, strerror(e));
}

static void on_sigio(int sig)
{
	(void)sig;
	atomic_fetch_add(&sigio, 1);
}

static void *opener(void *arg)
{
	long cycles = (long)arg;
	unsigned int seed = 1;

	while (!atomic_load(&stop) && atomic_load(&opens) < cycles) {
		int fd = open(node, O_RDWR | O_NONBLOCK);

		if (fd < 0) {
			if (errno == EBUSY)
				atomic_fetch_add(&busy, 1);
			else if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
				atomic_fetch_add(&gone, 1);
			else
				check_errno("open", errno);
			usleep(200);
			continue;
		}
		atomic_fetch_add(&opens, 1);
		atomic_store(&current, fd);
		usleep(rand_r(&seed) % 800);
		atomic_store(&current, -1);
		close(fd);
	}
	return NULL;
}

static int take(void)
{
	int fd = atomic_load(&current);

	if (fd < 0)
		return -1;
	fd = dup(fd);
	if (fd < 0)
		check_errno("dup", errno);
	return fd;
}

static void *worker(void *arg)
{
	long kind = (long)arg;
	unsigned int seed = 7 + kind;
	static char out[8192] = "race";
	char buf[8192];

	while (!atomic_load(&stop)) {
		int fd = take(), ep, flags;
		ssize_t n;
		struct epoll_event ev, got;
		struct pollfd p;

		if (fd < 0) {
			usleep(50);
			continue;
		}
		switch (kind) {
		case 0:
			n = read(fd, buf, 1 + rand_r(&seed) % sizeof(buf));
			if (n < 0)
				check_errno("read", errno);
			else
				atomic_fetch_add(&bytes_in, n);
			atomic_fetch_add(&n_read, 1);
			break;
		case 1:
			n = write(fd, out, 1 + rand_r(&seed) % sizeof(out));
			if (n < 0)
				check_errno("write", errno);
			else
				atomic_fetch_add(&bytes_out, n);
			atomic_fetch_add(&n_write, 1);
			break;
		case 2:
			p = (struct pollfd){ .fd = fd, .events = POLLIN | POLLOUT };
			if (poll(&p, 1, rand_r(&seed) % 5) < 0)
				check_errno("poll", errno);
			atomic_fetch_add(&n_poll, 1);
			break;
		case 3:
			ep = epoll_create1(0);
			ev = (struct epoll_event){ .events = EPOLLIN | EPOLLOUT | (rand_r(&seed) & 1 ? EPOLLET : 0) };
			if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
				check_errno("epoll_ctl", errno);
			else if (epoll_wait(ep, &got, 1, rand_r(&seed) % 5) < 0)
				check_errno("epoll_wait", errno);
			/* Sometimes the file goes first, with the epoll entry still on it. */
			if (rand_r(&seed) & 1) {
				close(fd);
				fd = -1;
			}
			close(ep);
			atomic_fetch_add(&n_epoll, 1);
			break;
		case 4:
			flags = fcntl(fd, F_GETFL);
			if (flags < 0) {
				check_errno("F_GETFL", errno);
				break;
			}
			if (fcntl(fd, F_SETOWN, getpid()) < 0)
				check_errno("F_SETOWN", errno);
			if (fcntl(fd, F_SETFL, flags ^ O_ASYNC) < 0)
				check_errno("F_SETFL", errno);
			atomic_fetch_add(&n_async, 1);
			break;
		}
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

static int traffic(const char *path)
{
	static char buf[16384];
	long in = 0, out = 0;
	int fd = open(path, O_RDWR | O_NONBLOCK), e = 0;

	if (fd < 0) {
		printf("TRAFFIC in 0 out 0 end %s\n", strerrorname_np(errno));
		return 1;
	}
	memset(buf, 'T', sizeof(buf));
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
		ssize_t n;

		if (poll(&p, 1, 1000) < 0 && errno != EINTR) {
			e = errno;
			break;
		}
		if (p.revents & (POLLERR | POLLHUP)) {
			n = read(fd, buf, sizeof(buf));
			e = n < 0 ? errno : EPIPE;
			if (n <= 0)
				break;
		}
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno != EAGAIN) {
			e = errno;
			break;
		}
		in += n > 0 ? n : 0;
		n = write(fd, buf, sizeof(buf));
		if (n < 0 && errno != EAGAIN) {
			e = errno;
			break;
		}
		out += n > 0 ? n : 0;
	}
	printf("TRAFFIC in %ld out %ld end %s\n", in, out, strerrorname_np(e));
	return e == ENODEV || e == EPIPE ? 0 : 1;
}

int main(int argc, char **argv)
{
	pthread_t o, w[10];
	long cycles, deadline, i;
	struct sigaction sa = { .sa_handler = on_sigio };

	if (argc == 3 && !strcmp(argv[1], "--traffic"))
		return traffic(argv[2]);
	if (argc != 4) {
		fprintf(stderr, "usage: xc-races NODE CYCLES MAX_SECONDS | --traffic NODE\n");
		return 2;
	}
	node = argv[1];
	cycles = atol(argv[2]);
	deadline = now_ms() + atol(argv[3]) * 1000;
	sigaction(SIGIO, &sa, NULL);
	pthread_create(&o, NULL, opener, (void *)cycles);
	for (i = 0; i < 10; i++)
		pthread_create(&w[i], NULL, worker, (void *)(i % 5));
	while (atomic_load(&opens) < cycles && now_ms() < deadline)
		usleep(100000);
	atomic_store(&stop, 1);
	pthread_join(o, NULL);
	for (i = 0; i < 10; i++)
		pthread_join(w[i], NULL);
	printf("RACES opens %ld busy %ld gone %ld ops read %ld write %ld poll %ld epoll %ld async %ld "
	       "sigio %ld bytes-in %ld bytes-out %ld unexpected %ld\n",
	       atomic_load(&opens), atomic_load(&busy), atomic_load(&gone), atomic_load(&n_read),
	       atomic_load(&n_write), atomic_load(&n_poll), atomic_load(&n_epoll), atomic_load(&n_async),
	       atomic_load(&sigio), atomic_load(&bytes_in), atomic_load(&bytes_out),
	       atomic_load(&unexpected));
	return atomic_load(&opens) >= cycles && !atomic_load(&unexpected) ? 0 : 1;
}
