/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xen_channel: the in-kernel client API.
 *
 * A Xen channel is a named byte stream to dom0 (xen-pv-channel(7)); xen_channel.ko
 * binds the consoles that carry a name. Channels appear and disappear
 * asynchronously (hot-plug, unbind, save/restore, the backend closing), so a
 * kernel client does not open a channel: it registers for a channel *name* and
 * is called back.
 *
 * Ownership: while a client is registered for a name, the channel's device node
 * /dev/xen-channel/<name> refuses open() with -EBUSY (it stays, so that udev rules
 * and tools still see the channel). If a file has the channel open when the client
 * registers, the client is attached once that file is released. When the client
 * unregisters, user space gets the channel back. One client per name: a second
 * registration for the same name fails with -EEXIST.
 *
 * Byte accounting is the device node's: bytes the backend sends are queued until
 * the client takes them (receive() returns how many it took; the rest stay queued
 * and are offered again when more arrive or after xen_channel_rx_kick()); bytes
 * a write accepts belong to the channel and reach the backend, across reconnects
 * and save/restore, unless the device goes away first.
 *
 * Lifetime rules:
 *  - struct xen_channel_client is the caller's; it must stay valid, and its ops
 *    callable, from xen_channel_register() until xen_channel_unregister()
 *    returns. After that, no callback runs and none is running.
 *  - Callbacks run in process context (a workqueue), one at a time per client,
 *    and may sleep; they must not call xen_channel_unregister() for their own
 *    client.
 *  - A client module depends on xen_channel.ko through these symbols: it must
 *    unregister in its exit function; xen_channel.ko cannot be unloaded before it.
 *  - Unbinding the device, unloading, the backend closing and save/restore are
 *    all seen as detached(); the client stays registered and is attached again
 *    when the channel comes back.
 *
 * Build a client module against this header and the Module.symvers of the
 * xen_channel build (KBUILD_EXTRA_SYMBOLS); see consumers/ in the repository.
 */
#ifndef XEN_CHANNEL_H
#define XEN_CHANNEL_H

#include <linux/types.h>

/* The state of a client's channel, as xen_channel_state() reports it. */
enum xen_channel_state {
	XEN_CHANNEL_ABSENT = 0,		/* no channel of that name is bound */
	XEN_CHANNEL_UNCONNECTED,	/* bound, the backend has not connected yet */
	XEN_CHANNEL_CONNECTED,		/* bytes flow */
	XEN_CHANNEL_RECONNECTING,	/* restore or a new backend: not a hang-up */
	XEN_CHANNEL_HUNG_UP,		/* the backend closed after it was connected */
	XEN_CHANNEL_BROKEN,		/* the backend broke the ring protocol */
};

struct xen_channel_client;

/**
 * struct xen_channel_client_ops - what a client is told
 * @attached: the channel is bound and its backend connected: writes flow.
 *	May sleep. Optional.
 * @detached: the channel stopped flowing: @state says why (hung up, broken,
 *	reconnecting when the domain is being saved or a new backend comes, or
 *	absent when the device went away). Bytes already queued for the client are
 *	still offered. May sleep. Optional.
 * @receive: @len bytes (@len > 0) arrived; returns how many of them the client
 *	took, from the front. The rest stay queued and are offered again when more
 *	bytes arrive or the client calls xen_channel_rx_kick(). May sleep.
 * @write_space: room in the channel's transmit queue after a write accepted
 *	less than asked. May sleep. Optional.
 */
struct xen_channel_client_ops {
	void (*attached)(struct xen_channel_client *client);
	void (*detached)(struct xen_channel_client *client, enum xen_channel_state state);
	size_t (*receive)(struct xen_channel_client *client, const u8 *data, size_t len);
	void (*write_space)(struct xen_channel_client *client);
};

/**
 * struct xen_channel_client - a kernel client of one channel
 * @name: the channel's name (as in /dev/xen-channel/<name>); kept by the caller
 * @ops: the callbacks; @ops->receive is required
 * @priv: the caller's, untouched by xen_channel
 * @internal: xen_channel's, set by xen_channel_register()
 */
struct xen_channel_client {
	const char *name;
	const struct xen_channel_client_ops *ops;
	void *priv;
	void *internal;
};

/**
 * xen_channel_register() - register @client for the channel called @client->name
 * @client: the client; see the lifetime rules above
 *
 * The client is attached (and told so) when a channel of that name is bound and
 * connected, now or later. Sleeps.
 *
 * Return: 0; -EEXIST if another client has the name; -EINVAL for a name no
 * channel can have; -ENOMEM.
 */
int xen_channel_register(struct xen_channel_client *client);

/**
 * xen_channel_unregister() - give the channel back
 * @client: a registered client
 *
 * Waits for a running callback; no callback runs after it returns. Bytes the
 * client wrote stay queued for the backend. Sleeps.
 */
void xen_channel_unregister(struct xen_channel_client *client);

/**
 * xen_channel_write_atomic() - queue bytes without sleeping
 * @client: a registered client
 * @data: the bytes
 * @len: how many
 *
 * Usable in any context, interrupts and panic included: takes the channel's
 * spinlock with a trylock in atomic context, and never waits for the backend.
 *
 * Return: the number of bytes queued (less than @len when the queue is full;
 * @write_space is called when room appears); -ENODEV without a channel; -EPIPE
 * once the backend hung up; -EIO if it broke; -EBUSY if the lock was held.
 */
ssize_t xen_channel_write_atomic(struct xen_channel_client *client, const void *data,
				 size_t len);

/**
 * xen_channel_write() - queue bytes, sleeping for room
 * @client: a registered client
 * @data: the bytes
 * @len: how many
 * @timeout: jiffies to wait for room at most (MAX_SCHEDULE_TIMEOUT: no limit)
 *
 * Waits while the channel is absent, connecting or full.
 *
 * Return: the number of bytes queued (all of them unless the time ran out, a
 * signal arrived, or the channel failed after some were queued); -ETIMEDOUT or
 * -ERESTARTSYS if none were; -EPIPE, -EIO as xen_channel_write_atomic().
 */
ssize_t xen_channel_write(struct xen_channel_client *client, const void *data, size_t len,
			  long timeout);

/**
 * xen_channel_flush() - push queued bytes to the backend, in any context
 * @client: a registered client
 * @timeout_us: microseconds to spend at most
 *
 * For a panic or oops handler, with interrupts off: moves queued bytes into the
 * ring and polls the ring until the backend has consumed them all or the time
 * is up. Never sleeps, never waits for a lock longer than @timeout_us.
 *
 * Return: 0 once everything was consumed; -ETIMEDOUT; -ENODEV, -EPIPE, -EIO.
 */
int xen_channel_flush(struct xen_channel_client *client, unsigned int timeout_us);

/**
 * xen_channel_rx_kick() - offer queued bytes again
 * @client: a registered client
 *
 * After @receive took less than it was offered: calls it again (from the
 * workqueue) with what is queued. Any context.
 */
void xen_channel_rx_kick(struct xen_channel_client *client);

/**
 * xen_channel_state() - the state of the client's channel now
 * @client: a registered client
 */
enum xen_channel_state xen_channel_state(struct xen_channel_client *client);

#endif /* XEN_CHANNEL_H */
