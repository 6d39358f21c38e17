// SPDX-License-Identifier: GPL-2.0
/*
 * xen_channel_rng: a hardware random number generator fed by dom0 over a Xen
 * channel, for PV guests, which have no virtio-rng.
 *
 * dom0 serves random bytes on the channel's socket (scripts/xen-channel-rng-feeder
 * does). The bytes are kept in a 4 KiB buffer and handed to the hwrng core
 * (/dev/hwrng, and the kernel's entropy pool through its fill thread); when the
 * buffer is full, the rest stays queued in the channel and the backend is flow
 * controlled by the ring. Reads wait while the feeder is away (or return
 * -EAGAIN when non-blocking) and go on when it comes back.
 *
 * Parameters: channel (the channel's name, default org.xen-channel.rng.0),
 * quality (entropy per 1024 bits of input, as virtio-rng's 1000 by default;
 * rng_quality in sysfs changes it at run time). dom0 can read and write the
 * guest's memory anyway, so trusting it for entropy adds no trust.
 */

#include <linux/hw_random.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <xen-channel.h>

static char *channel = "org.xen-channel.rng.0";
module_param(channel, charp, 0444);
MODULE_PARM_DESC(channel, "Name of the channel dom0 feeds (default org.xen-channel.rng.0)");

static unsigned short quality = 1000;
module_param(quality, ushort, 0444);
MODULE_PARM_DESC(quality, "Entropy per 1024 bits of input (default 1000, at most 1024)");

#define RNG_BUF_SIZE 4096

static DEFINE_SPINLOCK(buf_lock);
static u8 buf[RNG_BUF_SIZE];
static size_t buf_head, buf_len;
static DECLARE_WAIT_QUEUE_HEAD(buf_wait);
static bool stopping;

/* Takes what fits in the buffer; the rest stays queued in the channel. */
static size_t rng_receive(struct xen_channel_client *client, const u8 *data, size_t len)
{
	unsigned long flags;
	size_t taken = 0;

	spin_lock_irqsave(&buf_lock, flags);
	while (taken < len && buf_len < RNG_BUF_SIZE) {
		size_t tail = (buf_head + buf_len) % RNG_BUF_SIZE;
		size_t n = min3(len - taken, RNG_BUF_SIZE - buf_len, RNG_BUF_SIZE - tail);

		memcpy(buf + tail, data + taken, n);
		buf_len += n;
		taken += n;
	}
	spin_unlock_irqrestore(&buf_lock, flags);
	if (taken)
		wake_up_interruptible(&buf_wait);
	return taken;
}

static const struct xen_channel_client_ops rng_ops = {
	.receive = rng_receive,
};

static struct xen_channel_client rng_client = {
	.ops = &rng_ops,
};

static size_t take(void *out, size_t max)
{
	unsigned long flags;
	size_t done = 0;

	spin_lock_irqsave(&buf_lock, flags);
	while (done < max && buf_len) {
		size_t n = min3(max - done, buf_len, RNG_BUF_SIZE - buf_head);

		memcpy(out + done, buf + buf_head, n);
		buf_head = (buf_head + n) % RNG_BUF_SIZE;
		buf_len -= n;
		done += n;
	}
	spin_unlock_irqrestore(&buf_lock, flags);
	return done;
}

/* Asks for what waits in the channel once the buffer is half empty. */
static void refill(void)
{
	if (READ_ONCE(buf_len) <= RNG_BUF_SIZE / 2)
		xen_channel_rx_kick(&rng_client);
}

/*
 * Returns what is buffered, up to @max. With @wait, sleeps up to a second for
 * the first byte (the core asks again after 0); without, returns 0 at once.
 */
static int rng_read(struct hwrng *rng, void *out, size_t max, bool wait)
{
	size_t n = take(out, max);

	refill();
	if (!n && wait && !READ_ONCE(stopping)) {
		wait_event_interruptible_timeout(buf_wait, READ_ONCE(buf_len) || READ_ONCE(stopping), HZ);
		n = take(out, max);
		refill();
	}
	return n;
}

static struct hwrng rng = {
	.name = "xen-channel",
	.read = rng_read,
};

static int __init rng_init(void)
{
	int err;

	rng_client.name = channel;
	rng.quality = min_t(unsigned short, quality, 1024);
	err = xen_channel_register(&rng_client);
	if (err) {
		pr_err("xen_channel_rng: cannot use channel %s: %d\n", channel, err);
		return err;
	}
	err = hwrng_register(&rng);
	if (err) {
		xen_channel_unregister(&rng_client);
		return err;
	}
	pr_info("xen_channel_rng: fed by channel %s, quality %u\n", channel, rng.quality);
	return 0;
}

static void __exit rng_exit(void)
{
	/* hwrng_unregister waits for reads in progress: end their sleep first. */
	WRITE_ONCE(stopping, true);
	wake_up_interruptible_all(&buf_wait);
	hwrng_unregister(&rng);
	xen_channel_unregister(&rng_client);
}

module_init(rng_init);
module_exit(rng_exit);
MODULE_DESCRIPTION("Hardware random number generator fed by dom0 over a Xen channel");
MODULE_AUTHOR("The xen-channel developers");
MODULE_LICENSE("GPL");
