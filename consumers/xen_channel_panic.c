// SPDX-License-Identifier: GPL-2.0
/*
 * xen_channel_panic: on a panic or an oops, the tail of the kernel log goes to
 * dom0 over a Xen channel, so that the host keeps it even when the guest's own
 * disks and consoles do not. The guest's primary console is left as it is.
 *
 * A kmsg dumper: it runs with interrupts off, other CPUs stopped (or not, on
 * Xen PV), and must not sleep or hang. It queues the log's last bytes with the
 * channel's non-sleeping write and polls the ring until the backend has taken
 * them, for at most flush_ms: a dead backend costs that long, no more.
 *
 * Parameters: channel (default org.xen-channel.panic.0), flush_ms (default
 * 2000), and tail_kib (how much of the log's end, default 16).
 */

#include <linux/kmsg_dump.h>
#include <linux/module.h>
#include <linux/vmalloc.h>
#include <xen-channel.h>

static char *channel = "org.xen-channel.panic.0";
module_param(channel, charp, 0444);
MODULE_PARM_DESC(channel, "Name of the channel the log goes to (default org.xen-channel.panic.0)");

static unsigned int flush_ms = 2000;
module_param(flush_ms, uint, 0444);
MODULE_PARM_DESC(flush_ms, "At most this long waiting for dom0 to take the log (default 2000)");

static unsigned int tail_kib = 16;
module_param(tail_kib, uint, 0444);
MODULE_PARM_DESC(tail_kib, "KiB from the end of the kernel log to send (default 16)");

/* Nothing is expected from dom0: take and drop what comes. */
static size_t panic_receive(struct xen_channel_client *client, const u8 *data, size_t len)
{
	return len;
}

static const struct xen_channel_client_ops panic_ops = {
	.receive = panic_receive,
};

static struct xen_channel_client panic_client = {
	.ops = &panic_ops,
};
static char *tail;
static size_t tail_size;

static const char *reason_name(enum kmsg_dump_reason reason)
{
	return reason == KMSG_DUMP_PANIC ? "panic" : "oops";
}

/* Queues @len bytes, moving them into the ring as room appears; bounded. */
static void send(const char *data, size_t len)
{
	while (len) {
		ssize_t n = xen_channel_write_atomic(&panic_client, data, len);

		if (n < 0)
			return;
		data += n;
		len -= n;
		if (len && xen_channel_flush(&panic_client, flush_ms * 1000))
			return;
	}
}

static void panic_dump(struct kmsg_dumper *dumper, struct kmsg_dump_detail *detail)
{
	struct kmsg_dump_iter iter;
	char header[80];
	size_t len = 0;

	if (xen_channel_state(&panic_client) != XEN_CHANNEL_CONNECTED)
		return;
	kmsg_dump_rewind(&iter);
	if (!kmsg_dump_get_buffer(&iter, false, tail, tail_size, &len))
		return;
	snprintf(header, sizeof(header), "--- xen_channel_panic: %s, last %zu bytes of the log ---\n",
		 reason_name(detail->reason), len);
	send(header, strlen(header));
	send(tail, len);
	send("--- end ---\n", 12);
	xen_channel_flush(&panic_client, flush_ms * 1000);
}

static struct kmsg_dumper dumper = {
	.dump = panic_dump,
	.max_reason = KMSG_DUMP_OOPS,
};

static int __init panic_init(void)
{
	int err;

	tail_size = (size_t)clamp(tail_kib, 1U, 1024U) * 1024;
	tail = vmalloc(tail_size);
	if (!tail)
		return -ENOMEM;
	panic_client.name = channel;
	err = xen_channel_register(&panic_client);
	if (err) {
		pr_err("xen_channel_panic: cannot use channel %s: %d\n", channel, err);
		goto free;
	}
	err = kmsg_dump_register(&dumper);
	if (err)
		goto unregister;
	pr_info("xen_channel_panic: panics and oopses go to channel %s\n", channel);
	return 0;
unregister:
	xen_channel_unregister(&panic_client);
free:
	vfree(tail);
	return err;
}

static void __exit panic_exit(void)
{
	kmsg_dump_unregister(&dumper);
	xen_channel_unregister(&panic_client);
	vfree(tail);
}

module_init(panic_init);
module_exit(panic_exit);
MODULE_DESCRIPTION("Kernel log of a panic or oops to dom0 over a Xen channel");
MODULE_AUTHOR("The xen-channel developers");
MODULE_LICENSE("GPL");
