// SPDX-License-Identifier: GPL-2.0
/*
 * Guest half of tests/lab/semantics: exercises the file semantics of
 * /dev/xen-channel/NAME against a dom0 peer (dom0.py) that follows the same
 * script over the channel's socket, with handshakes over a control channel
 * wherever the outcome could depend on timing between the two. Prints one KTAP
 * line per check and exits non-zero if any check failed.
 *
 * usage: xc-semantics DEVICE XENBUS-DEVICE CONTROL-DEVICE CONTROL-XENBUS-DEVICE
 *   e.g. /dev/xen-channel/sem console-2 /dev/xen-channel/ctl console-1
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures, checks;
/* SIGIO (as SIGRTMIN, with siginfo) bands seen since the last reset. */
static volatile sig_atomic_t sigio_bands;

static void check(int ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	checks++;
	if (ok) {
		printf("ok %d %s\n", checks, name);
	} else {
		failures++;
		printf("not ok %d %s # ", checks, name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
	fflush(stdout);
}

static void on_sigio(int sig, siginfo_t *info, void *ctx)
{
	(void)sig;
	(void)ctx;
	sigio_bands |= info->si_band;
}

/*
 * Waits up to @timeout_ms for a SIGIO with @band. The driver, like pipes, wakes
 * pollers and readers before it queues SIGIO, so a poll or read can return on
 * another CPU before the signal is sent: seeing the band takes a (bounded) wait.
 */
static int sigio_band_within(int band, int timeout_ms)
{
	int waited;

	for (waited = 0; !(sigio_bands & band) && waited < timeout_ms; waited++)
		usleep(1000);
	return !!(sigio_bands & band);
}

/* poll() for one fd, restarted after signals (SIGIO arrives all the time here). */
static int poll_events(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	do
		n = poll(&p, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : p.revents;
}

static int epoll_wait_restarted(int ep, struct epoll_event *ev, int timeout_ms)
{
	int n;

	do
		n = epoll_wait(ep, ev, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	return n;
}

static void write_all(int fd, const char *s)
{
	size_t len = strlen(s), done = 0;

	while (done < len) {
		ssize_t n = write(fd, s + done, len - done);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			poll_events(fd, POLLOUT, 1000);
			continue;
		}
		if (n <= 0) {
			printf("Bail out! write: %s\n", strerror(errno));
			exit(2);
		}
		done += n;
	}
}

/* Reads one line (blocking or polling), at most cap-1 bytes. */
static int read_line(int fd, char *buf, size_t cap, int timeout_ms)
{
	size_t len = 0;

	while (len + 1 < cap) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		n = poll(&p, 1, timeout_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		n = read(fd, buf + len, 1);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return -1;
		if (buf[len++] == '\n')
			break;
	}
	buf[len] = 0;
	return len;
}

static int driver_op(const char *op, const char *xbdev)
{
	char path[128];
	int fd, n;

	snprintf(path, sizeof(path), "/sys/bus/xen/drivers/xen-channel/%s", op);
	fd = open(path, O_WRONLY);
	n = write(fd, xbdev, strlen(xbdev));
	close(fd);
	return n == (int)strlen(xbdev) ? 0 : -1;
}

static int unbind(const char *xbdev)
{
	return driver_op("unbind", xbdev);
}

/* Reads sysfs attribute @attr of console-N's channel into @buf; 0 on success. */
static int read_attr(const char *xbdev, const char *attr, char *buf, size_t cap)
{
	char path[200];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/sys/bus/xen/devices/%s/misc/xen-channel-%s/%s", xbdev,
		 xbdev + strlen("console-"), attr);
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = fgets(buf, cap, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = 0;
	return ok ? 0 : -1;
}

/* Waits up to 60 s for console-N's channel attribute @attr to read @want. */
static int wait_attr(const char *xbdev, const char *attr, const char *want)
{
	char value[64];
	int i;

	for (i = 0; i < 600; i++) {
		if (!read_attr(xbdev, attr, value, sizeof(value)) && !strcmp(value, want))
			return 0;
		usleep(100000);
	}
	return -1;
}

static int wait_backend_state(const char *xbdev, const char *want)
{
	return wait_attr(xbdev, "backend_state", want);
}


int main(int argc, char **argv)
{
	const char *dev = argv[1], *xbdev = argv[2];
	int ctl;
	char line[256];
	int fd, fd2, ep, flags, n;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET }, got;
	long accepted = 0;

	if (argc != 5) {
		fprintf(stderr, "usage: %s DEVICE XENBUS-DEVICE CONTROL-DEVICE CONTROL-XENBUS-DEVICE\n",
			argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("KTAP version 1\n");
	ctl = open(argv[3], O_RDWR);
	if (ctl < 0) {
		printf("Bail out! open %s: %s\n", argv[3], strerror(errno));
		return 1;
	}

	fd = open(dev, O_RDWR);
	check(fd >= 0, "open", "%s", strerror(errno));
	if (fd < 0)
		return 1;
	/*
	 * QEMU holds guest bytes that arrive while no client is connected to the
	 * socket until the guest's next notification: wait for dom0 to be there.
	 */
	n = read_line(fd, line, sizeof(line), 120000);
	check(n > 0 && !strcmp(line, "HELLO\n"), "dom0-hello", "got %d '%s'", n, line);
	fd2 = open(dev, O_RDWR);
	check(fd2 < 0 && errno == EBUSY, "second-open-ebusy", "fd %d errno %d", fd2, errno);
	check(lseek(fd, 0, SEEK_SET) < 0 && errno == ESPIPE, "not-seekable", "errno %d", errno);

	flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	n = read(fd, line, sizeof(line));
	check(n < 0 && errno == EAGAIN, "nonblock-read-eagain", "read %d errno %d", n, errno);

	{
		struct sigaction sa = { .sa_sigaction = on_sigio, .sa_flags = SA_SIGINFO | SA_RESTART };

		sigaction(SIGRTMIN, &sa, NULL);
	}
	fcntl(fd, F_SETOWN, getpid());
	fcntl(fd, F_SETSIG, SIGRTMIN);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK | O_ASYNC);
	ep = epoll_create1(0);
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	check(poll_events(fd, POLLOUT, 0) & POLLOUT, "pollout-when-space", "no POLLOUT");

	/*
	 * dom0 answers PING with PONG after a second; the SIGIO record is cleared
	 * before PING leaves, so the answer's SIGIO cannot come before the clear.
	 */
	sigio_bands = 0;
	write_all(fd, "PING\n");
	n = epoll_wait_restarted(ep, &got, 20000);
	check(n == 1 && (got.events & EPOLLIN), "epoll-edge-in", "epoll_wait %d events %x", n, got.events);
	check(sigio_band_within(POLLIN, 5000), "sigio-on-data", "no SIGIO with POLLIN in 5 s (bands %x)",
	      sigio_bands);
	n = read_line(fd, line, sizeof(line), 5000);
	check(n > 0 && !strcmp(line, "PONG\n"), "read-pong", "got %d '%s'", n, line);
	n = epoll_wait_restarted(ep, &got, 500);
	check(n == 0, "epoll-edge-quiet", "edge-triggered epoll fired again without data (%d)", n);

	/*
	 * Fill: dom0 stops reading; write non-blocking until -EAGAIN (QEMU buffers up
	 * to the console limit first), say so on the control channel, then keep
	 * writing as dom0 drains. dom0 counts every byte before the COUNT line: none
	 * may be lost, none added.
	 */
	write_all(fd, "FILL\n");
	{
		static char chunk[4096];
		long at_eagain = -1;
		time_t start = time(NULL);

		memset(chunk, 'x', sizeof(chunk));
		while (time(NULL) - start < 300 && (at_eagain < 0 || accepted < at_eagain + 65536)) {
			ssize_t w = write(fd, chunk, sizeof(chunk));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0 && errno == EAGAIN) {
				if (at_eagain < 0) {
					at_eagain = accepted;
					write_all(ctl, "FULL\n");
				}
				/* POLLOUT comes back once dom0 drains. */
				poll_events(fd, POLLOUT, 1000);
				continue;
			}
			if (w < 0) {
				check(0, "fill-write", "%s", strerror(errno));
				break;
			}
			accepted += w;
		}
		check(at_eagain >= 0, "nonblock-write-eagain", "ring never filled");
		check(accepted >= at_eagain + 65536, "pollout-after-drain", "stuck at %ld", accepted);
	}
	snprintf(line, sizeof(line), "\nCOUNT %ld\n", accepted);
	write_all(fd, line);
	printf("# accepted %ld bytes\n", accepted);
	/* dom0 reads on to the COUNT line: fsync returns once QEMU has it all. */
	check(fsync(fd) == 0, "fsync-waits-for-backend", "errno %d", errno);
	{
		char value[32] = "?";

		read_attr(xbdev, "tx_queued", value, sizeof(value));
		check(!strcmp(value, "0"), "nothing-queued-after-fsync", "tx_queued %s", value);
	}

	/*
	 * dom0 sends BYE-DATA, then closes the backend (xenstore state 5) once we
	 * say HANG-UP on the control channel: the hang-up's SIGIO comes after the
	 * SIGIO record is cleared, however slowly this process runs.
	 */
	fcntl(fd, F_SETFL, flags | O_ASYNC);
	n = read_line(fd, line, sizeof(line), 30000);
	check(n > 0 && !strcmp(line, "BYE-DATA\n"), "read-before-eof", "got %d '%s'", n, line);
	sigio_bands = 0;
	write_all(ctl, "HANG-UP\n");
	{
		char c;

		poll_events(fd, POLLIN, 30000);
		do
			n = read(fd, &c, 1);
		while (n < 0 && errno == EINTR);
		check(n == 0, "eof-after-backend-close", "read %d errno %d", n, errno);
	}
	{
		char value[32] = "?";

		read_attr(xbdev, "state", value, sizeof(value));
		check(!strcmp(value, "hung-up"), "state-hung-up", "state %s", value);
	}
	check(poll_events(fd, POLLIN, 0) & POLLHUP, "pollhup-when-closed", "no POLLHUP");
	n = write(fd, "x", 1);
	check(n < 0 && errno == EPIPE, "write-epipe-when-closed", "write %d errno %d", n, errno);
	check(sigio_band_within(POLLHUP, 5000), "sigio-on-hangup",
	      "no SIGIO with POLLHUP in 5 s (bands %x)", sigio_bands);

	/* The channel reconnects on the same node, same open file. */
	{
		int i, revents = POLLHUP;

		for (i = 0; i < 300 && (revents & POLLHUP); i++) {
			usleep(100000);
			revents = poll_events(fd, POLLOUT, 0);
		}
		check(!(revents & POLLHUP), "reconnect-same-file", "still hung up after 30 s");
	}
	write_all(fd, "AGAIN\n");
	n = read_line(fd, line, sizeof(line), 30000);
	check(n > 0 && !strcmp(line, "AGAIN-ACK\n"), "bytes-after-reconnect", "got %d '%s'", n, line);
	check(wait_attr(xbdev, "state", "connected") == 0, "state-connected-again", "not connected");

	/*
	 * Bytes a write accepted belong to the channel: the control channel's file
	 * is closed right after 48 KiB are written, and dom0 still gets them all.
	 */
	{
		static char bulk[49152 + 1];
		size_t i;

		for (i = 0; i + 1 < sizeof(bulk); i++)
			bulk[i] = 'a' + i % 26;
		snprintf(line, sizeof(line), "BULK %zu\n", sizeof(bulk) - 1);
		write_all(ctl, line);
		write_all(ctl, bulk);
	}

	/* Only this file may hold the module from here on. */
	close(ctl);
	n = read_line(fd, line, sizeof(line), 120000);
	check(n > 0 && !strcmp(line, "BULK-OK 49152\n"), "closed-file-bytes-delivered", "got %d '%s'", n,
	      line);
	check(unbind(argv[4]) == 0, "unbind-control", "errno %d", errno);
	/*
	 * Bound again, the device starts Closed (the driver core closed it on unbind):
	 * the channel must reset the backend and reconnect.
	 */
	check(driver_op("bind", argv[4]) == 0, "rebind-control", "errno %d", errno);
	/*
	 * Bound again but not connected yet: a file opened now sees no hang-up and
	 * no end of file, only a read that would wait.
	 */
	{
		int early = open(argv[3], O_RDWR | O_NONBLOCK);
		char c;
		int revents = early < 0 ? -1 : poll_events(early, POLLIN, 0);

		n = early < 0 ? -2 : read(early, &c, 1);
		check(early >= 0 && revents == 0 && n < 0 && errno == EAGAIN, "rebound-open-waits",
		      "fd %d revents %x read %d errno %d", early, revents, n, errno);
		if (early >= 0)
			close(early);
	}
	check(wait_backend_state(argv[4], "Connected") == 0, "rebound-channel-reconnects",
	      "backend never Connected again");
	check(unbind(argv[4]) == 0, "unbind-control-again", "errno %d", errno);

	/*
	 * Unbind while a reader sleeps: the reader wakes with -ENODEV, poll reports
	 * EPOLLERR, and the module cannot be unloaded while the file is open.
	 */
	{
		pid_t child = fork();
		int status;

		if (child == 0) {
			char c;
			ssize_t r;

			fcntl(fd, F_SETFL, flags);
			r = read(fd, &c, 1);
			_exit(r < 0 && errno == ENODEV ? 0 : 1);
		}
		sleep(1);
		n = unbind(xbdev);
		check(n == 0, "unbind", "errno %d", errno);
		waitpid(child, &status, 0);
		check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "sleeping-reader-enodev", "status %x",
		      status);
		check(poll_events(fd, POLLIN, 0) & POLLERR, "pollerr-when-gone", "no POLLERR");
		n = write(fd, "x", 1);
		check(n < 0 && errno == ENODEV, "write-enodev-when-gone", "write %d errno %d", n, errno);
		check(access(dev, F_OK) != 0, "node-removed", "%s still exists", dev);
	}
	check(system("rmmod xen_channel 2>/dev/null") != 0, "rmmod-refused-while-open", "rmmod succeeded");
	close(fd);
	check(system("rmmod xen_channel") == 0, "rmmod-after-close", "rmmod failed");

	printf("1..%d\n# totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n", checks,
	       checks - failures, failures);
	return failures ? 1 : 0;
}
