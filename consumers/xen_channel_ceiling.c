// SPDX-License-Identifier: GPL-2.0
/*
 * xen_channel_ceiling: the benchmark of scripts/bench run from kernel space,
 * through the in-kernel client API: what the channel, the ring and the backend
 * allow with no system call, no user copy and no scheduling of a reader or
 * writer process. Built as the ceiling for the user-space figures, it measures
 * below the device node on throughput (Documentation/xen-channel.rst,
 * "Performance"); its echo times show the guest's share of a round trip.
 *
 * It speaks xc-bench's protocol to the same dom0 peer (scripts/bench.d/xc-bench.c)
 * on the channels named by the `names` parameter, runs the same plan in a kernel
 * thread once they are all attached, and prints one "RESULT <json>" line per
 * figure to the kernel log, then "xen_channel_ceiling: done".
 *
 *   insmod xen_channel_ceiling.ko names=a,b,c,d bytes=2097152 multi=524288 echoes=300
 */

#include <crypto/sha2.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>
#include <xen-channel.h>

#define MAX_CH 4
#define RX_SIZE (64 * 1024)

static char *names[MAX_CH];
static int nr_names;
module_param_array(names, charp, &nr_names, 0444);
static unsigned long bytes = 2 << 20, multi = 512 << 10;
static unsigned int echoes = 300;
module_param(bytes, ulong, 0444);
module_param(multi, ulong, 0444);
module_param(echoes, uint, 0444);

struct ch {
	struct xen_channel_client client;
	int index;
	spinlock_t lock;
	u8 *rx;
	size_t rx_head, rx_len;
	wait_queue_head_t wait;
	bool attached;
	u8 buf[65536];
	struct task_struct *thread;
	/* A transfer's result. */
	int outbound;
	size_t size;
	s64 ns;
	bool ok;
	struct completion done;
};

static struct ch chans[MAX_CH];
static struct task_struct *runner;

static struct ch *ch_of(struct xen_channel_client *c)
{
	return container_of(c, struct ch, client);
}

static size_t on_receive(struct xen_channel_client *c, const u8 *data, size_t len)
{
	struct ch *ch = ch_of(c);
	size_t taken = 0;

	spin_lock(&ch->lock);
	while (taken < len && ch->rx_len < RX_SIZE) {
		size_t tail = (ch->rx_head + ch->rx_len) % RX_SIZE;
		size_t n = min3(len - taken, RX_SIZE - ch->rx_len, RX_SIZE - tail);

		memcpy(ch->rx + tail, data + taken, n);
		ch->rx_len += n;
		taken += n;
	}
	spin_unlock(&ch->lock);
	wake_up(&ch->wait);
	return taken;
}

static void on_attached(struct xen_channel_client *c)
{
	WRITE_ONCE(ch_of(c)->attached, true);
	wake_up(&ch_of(c)->wait);
}

static const struct xen_channel_client_ops ops = {
	.attached = on_attached,
	.receive = on_receive,
};

/* Takes up to @max received bytes, waiting for the first; 0 on a stop request. */
static size_t rx_take(struct ch *ch, u8 *out, size_t max)
{
	size_t done = 0;

	while (!wait_event_timeout(ch->wait, READ_ONCE(ch->rx_len) || kthread_should_stop(), HZ))
		;
	if (kthread_should_stop())
		return 0;
	spin_lock(&ch->lock);
	while (done < max && ch->rx_len) {
		size_t n = min3(max - done, ch->rx_len, RX_SIZE - ch->rx_head);

		memcpy(out + done, ch->rx + ch->rx_head, n);
		ch->rx_head = (ch->rx_head + n) % RX_SIZE;
		ch->rx_len -= n;
		done += n;
	}
	spin_unlock(&ch->lock);
	xen_channel_rx_kick(&ch->client);
	return done;
}

static bool rx_exact(struct ch *ch, u8 *out, size_t n)
{
	size_t got = 0;

	while (got < n) {
		size_t k = rx_take(ch, out + got, n - got);

		if (!k)
			return false;
		got += k;
	}
	return true;
}

static bool rx_line(struct ch *ch, char *line, size_t cap)
{
	size_t n = 0;

	while (n + 1 < cap) {
		if (!rx_exact(ch, line + n, 1))
			return false;
		if (line[n++] == '\n')
			break;
	}
	line[n] = 0;
	return true;
}

static bool tx(struct ch *ch, const void *data, size_t len)
{
	return xen_channel_write(&ch->client, data, len, MAX_SCHEDULE_TIMEOUT) == len;
}

/* The payload: xc-bench's SplitMix64 stream. */
static void pattern(u64 seed, u64 offset, u8 *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		u64 k = (offset + i) / 8, z = seed + (k + 1) * 0x9e3779b97f4a7c15ULL;

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		buf[i] = z >> (8 * ((offset + i) % 8));
	}
}

static int transfer(void *arg)
{
	struct ch *ch = arg;
	char line[128], hex[65];
	u8 digest[SHA256_DIGEST_SIZE];
	struct sha256_ctx sha;
	size_t done = 0;
	ktime_t t0 = ktime_get();
	int i;

	ch->ok = false;
	if (ch->outbound) {
		snprintf(line, sizeof(line), "SINK %zu\n", ch->size);
		tx(ch, line, strlen(line));
		sha256_init(&sha);
		while (done < ch->size) {
			size_t k = min(ch->size - done, sizeof(ch->buf));

			pattern(ch->index, done, ch->buf, k);
			sha256_update(&sha, ch->buf, k);
			if (!tx(ch, ch->buf, k))
				goto out;
			done += k;
		}
		if (!rx_line(ch, line, sizeof(line)))
			goto out;
		ch->ns = ktime_to_ns(ktime_sub(ktime_get(), t0));
		sha256_final(&sha, digest);
		for (i = 0; i < SHA256_DIGEST_SIZE; i++)
			sprintf(hex + 2 * i, "%02x", digest[i]);
		ch->ok = !strncmp(line, "SUNK ", 5) && !strncmp(line + 5, hex, 64);
	} else {
		u8 *want = kmalloc(4096, GFP_KERNEL);

		snprintf(line, sizeof(line), "SOURCE %zu\n", ch->size);
		tx(ch, line, strlen(line));
		ch->ok = want != NULL;
		while (want && done < ch->size) {
			size_t k = rx_take(ch, ch->buf, min(ch->size - done, (size_t)4096));

			if (!k) {
				ch->ok = false;
				break;
			}
			pattern(100 + ch->index, done, want, k);
			ch->ok &= !memcmp(ch->buf, want, k);
			done += k;
		}
		kfree(want);
		ch->ns = ktime_to_ns(ktime_sub(ktime_get(), t0));
	}
out:
	complete(&ch->done);
	return 0;
}

static void throughput(const char *figure, int n, size_t size, int outbound)
{
	ktime_t t0 = ktime_get();
	bool ok = true;
	s64 ns;
	int i;

	for (i = 0; i < n; i++) {
		chans[i].outbound = outbound;
		chans[i].size = size;
		reinit_completion(&chans[i].done);
		kthread_run(transfer, &chans[i], "xc-ceiling/%d", i);
	}
	for (i = 0; i < n; i++) {
		wait_for_completion(&chans[i].done);
		ok &= chans[i].ok;
	}
	ns = ktime_to_ns(ktime_sub(ktime_get(), t0));
	/* The host turns ns into seconds and MiB/s (scripts/bench.d/report.py). */
	pr_info("RESULT {\"figure\": \"%s\", \"channels\": %d, \"bytes\": %zu, \"ns\": %lld, "
		"\"intact\": %s}\n", figure, n, size * n, ns, ok ? "true" : "false");
}

static int cmp_s64(const void *a, const void *b)
{
	s64 x = *(const s64 *)a, y = *(const s64 *)b;

	return x < y ? -1 : x > y;
}

static void echo(const char *figure, int count, unsigned int gap_ms)
{
	struct ch *ch = &chans[0];
	s64 *rtt = kcalloc(count, sizeof(*rtt), GFP_KERNEL);
	u8 msg[64], back[64];
	char line[32];
	bool ok = true;
	int i;

	if (!rtt)
		return;
	snprintf(line, sizeof(line), "ECHO %lu\n", (unsigned long)count * 64);
	tx(ch, line, strlen(line));
	for (i = 0; i < count; i++) {
		ktime_t t0;

		if (gap_ms)
			msleep(gap_ms);
		pattern(7, i * 64, msg, 64);
		t0 = ktime_get();
		tx(ch, msg, 64);
		if (!rx_exact(ch, back, 64)) {
			ok = false;
			break;
		}
		rtt[i] = ktime_to_ns(ktime_sub(ktime_get(), t0));
		ok &= !memcmp(msg, back, 64);
	}
	sort(rtt, count, sizeof(*rtt), cmp_s64, NULL);
	pr_info("RESULT {\"figure\": \"%s\", \"count\": %d, \"gap_ms\": %u, \"p50_ns\": %lld, "
		"\"p99_ns\": %lld, \"max_ns\": %lld, \"intact\": %s}\n", figure, count, gap_ms,
		rtt[count / 2], rtt[count * 99 / 100], rtt[count - 1], ok ? "true" : "false");
	kfree(rtt);
}

static int run(void *unused)
{
	char line[200];
	int i;

	for (i = 0; i < nr_names; i++) {
		struct ch *ch = &chans[i];

		while (!wait_event_timeout(ch->wait, READ_ONCE(ch->attached) || kthread_should_stop(), HZ))
			;
		/* The peer answers the first HELLO with its ID (see xc-bench.c). */
		tx(ch, "HELLO\n", 6);
		if (!rx_line(ch, line, sizeof(line)) || strncmp(line, "ID ", 3))
			return 0;
	}
	throughput("guest_to_dom0", 1, bytes, 1);
	throughput("dom0_to_guest", 1, bytes, 0);
	echo("echo_back_to_back", echoes, 0);
	echo("echo_after_0.2s", 10, 200);
	echo("echo_after_1s", 5, 1000);
	echo("echo_after_5s", 3, 5000);
	if (nr_names > 1) {
		throughput("multi_guest_to_dom0", nr_names, multi, 1);
		throughput("multi_dom0_to_guest", nr_names, multi, 0);
	}
	pr_info("xen_channel_ceiling: done\n");
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ);
	return 0;
}

static void cleanup(int registered)
{
	int i;

	for (i = 0; i < registered; i++)
		xen_channel_unregister(&chans[i].client);
	for (i = 0; i < nr_names; i++)
		vfree(chans[i].rx);
}

static int __init ceiling_init(void)
{
	int i, err;

	if (nr_names < 1)
		return -EINVAL;
	for (i = 0; i < nr_names; i++) {
		struct ch *ch = &chans[i];

		ch->index = i;
		spin_lock_init(&ch->lock);
		init_waitqueue_head(&ch->wait);
		init_completion(&ch->done);
		ch->rx = vmalloc(RX_SIZE);
		if (!ch->rx) {
			cleanup(i);
			return -ENOMEM;
		}
		ch->client.name = names[i];
		ch->client.ops = &ops;
		err = xen_channel_register(&ch->client);
		if (err) {
			cleanup(i);
			return err;
		}
	}
	runner = kthread_run(run, NULL, "xc-ceiling");
	if (IS_ERR(runner)) {
		cleanup(nr_names);
		return PTR_ERR(runner);
	}
	return 0;
}

static void __exit ceiling_exit(void)
{
	kthread_stop(runner);
	cleanup(nr_names);
}

module_init(ceiling_init);
module_exit(ceiling_exit);
MODULE_DESCRIPTION("scripts/bench from kernel space, through xen_channel's client API");
MODULE_LICENSE("GPL");
