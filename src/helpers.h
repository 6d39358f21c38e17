/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C <-> Rust interface of xen_channel. Functions defined in helpers.c are
 * declared by hand on the Rust side (src/xen.rs, src/channel.rs, src/chardev.rs,
 * src/driver.rs, src/takeover.rs); keep both in step.
 */
#ifndef XEN_CHANNEL_HELPERS_H
#define XEN_CHANNEL_HELPERS_H

#include <linux/miscdevice.h>
#include <linux/sysfs.h>
#include <linux/wait.h>
#include <xen/xenbus.h>

/* Defined in helpers.c, called from Rust. */
int xen_channel_register_driver(void);
void xen_channel_unregister_driver(void);
const char *xen_channel_dev_nodename(const struct xenbus_device *dev);
const char *xen_channel_dev_otherend(const struct xenbus_device *dev);
struct device *xen_channel_dev_device(struct xenbus_device *dev);
enum xenbus_state xen_channel_dev_state(const struct xenbus_device *dev);
void xen_channel_notify(evtchn_port_t port);
void xen_channel_waitq_init(struct wait_queue_head *wq);
int xen_channel_wait(struct wait_queue_head *wq, bool (*cond)(const void *ctx),
		     const void *ctx);
const struct attribute_group **xen_channel_attr_groups(void);
bool xen_channel_takeover_enabled(void);
const struct device_driver *xen_channel_driver_core(void);
int xen_channel_watch_bus(void);
void xen_channel_unwatch_bus(void);
struct workqueue_struct *xen_channel_alloc_takeover_wq(void);
bool xen_channel_dev_driven_by(struct device *dev, const char *name);
bool xen_channel_bus_has(const char *name);
struct xenbus_device *xen_channel_to_xenbus_device(struct device *dev);

/* Defined in Rust, called from helpers.c. */
int xen_channel_probe(struct xenbus_device *dev);
void xen_channel_remove(struct xenbus_device *dev);
void xen_channel_otherend_changed(struct xenbus_device *dev, enum xenbus_state state);
int xen_channel_resume(struct xenbus_device *dev);
void xen_channel_bus_event(unsigned long action, struct device *dev);
const char *xen_channel_misc_name(struct miscdevice *misc);
u64 xen_channel_misc_stat(struct miscdevice *misc, unsigned int which);

#endif /* XEN_CHANNEL_HELPERS_H */
