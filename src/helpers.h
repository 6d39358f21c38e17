/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C <-> Rust interface of xen_channel. src/ffi.rs declares the functions of
 * the first part, in this order, for Rust; the second part is defined in Rust.
 * Every Xen, xenbus and grant-table call goes through here, so that the C
 * compiler checks it against the kernel's own headers.
 */
#ifndef XEN_CHANNEL_HELPERS_H
#define XEN_CHANNEL_HELPERS_H

#include <linux/interrupt.h>
#include <linux/miscdevice.h>
#include <linux/spinlock.h>
#include <linux/sysfs.h>
#include <linux/wait.h>
#include <xen/xenbus.h>

/* --- Defined in helpers.c, called from Rust (src/ffi.rs) --- */

/* Module parameters. */
bool xen_channel_param_takeover(void);
unsigned int xen_channel_param_queue_kib(void);

/* The xenbus driver. */
int xen_channel_register_driver(void);
void xen_channel_unregister_driver(void);

/* struct xenbus_device. */
const char *xen_channel_dev_nodename(const struct xenbus_device *dev);
struct device *xen_channel_dev_device(struct xenbus_device *dev);
enum xenbus_state xen_channel_dev_state(const struct xenbus_device *dev);
void *xen_channel_dev_get_drvdata(struct xenbus_device *dev);
void xen_channel_dev_set_drvdata(struct xenbus_device *dev, void *data);
int xen_channel_switch_state(struct xenbus_device *dev, enum xenbus_state state);
enum xenbus_state xen_channel_backend_state(struct xenbus_device *dev);
int xen_channel_publish_ring(struct xenbus_device *dev, grant_ref_t gref, evtchn_port_t port);

/* xenstore by path. */
void *xen_channel_store_read(const char *dir, const char *node, unsigned int *len);
char **xen_channel_store_directory(const char *dir, unsigned int *num);
int xen_channel_store_write_state(const char *dir, enum xenbus_state state);
void xen_channel_store_remove(const char *dir, const char *node);
enum xenbus_state xen_channel_store_state(const char *dir);

/* The ring page and its grant. */
int xen_channel_ring_setup(struct xenbus_device *dev, void **vaddr, grant_ref_t *gref);
bool xen_channel_ring_teardown(void *vaddr, grant_ref_t gref);
void xen_channel_ring_copy(void *dst, const void *src, size_t len);
unsigned int xen_channel_grant_ref_limit(void);
bool xen_channel_end_grant(grant_ref_t gref);

/* The event channel. */
int xen_channel_evtchn_bind(struct xenbus_device *dev, irq_handler_t handler,
			    const char *name, void *dev_id, evtchn_port_t *port);
void xen_channel_evtchn_unbind(int irq, void *dev_id);
void xen_channel_notify(evtchn_port_t port);
void xen_channel_irq_eoi(int irq, bool spurious);

/* An irq-saving spinlock, for the lock the event handler shares. */
unsigned long xen_channel_spin_lock_irqsave(spinlock_t *lock);
void xen_channel_spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags);
bool xen_channel_spin_trylock_irqsave(spinlock_t *lock, unsigned long *flags);

/* Waiting. */
void xen_channel_waitq_init(struct wait_queue_head *wq);
int xen_channel_wait(struct wait_queue_head *wq, bool (*cond)(const void *ctx),
		     const void *ctx);
long xen_channel_wait_timeout(struct wait_queue_head *wq, bool (*cond)(const void *ctx),
			      const void *ctx, long timeout);
void xen_channel_udelay(unsigned int us);

/* The device node's sysfs attributes. */
const struct attribute_group **xen_channel_attr_groups(void);

/* Taking consoles over from hvc_xen. */
const struct device_driver *xen_channel_driver_core(void);
int xen_channel_watch_bus(void);
void xen_channel_unwatch_bus(void);
struct workqueue_struct *xen_channel_alloc_takeover_wq(void);
bool xen_channel_dev_driven_by(struct device *dev, const char *name);
bool xen_channel_bus_has(const char *name);
struct xenbus_device *xen_channel_to_xenbus_device(struct device *dev);
enum xenbus_state xen_channel_backend_state_of(struct xenbus_device *dev);
void xen_channel_release_driver(struct device *dev);
int xen_channel_attach_driver(struct device *dev);
bool xen_channel_hvc_xen_present(void);
int xen_channel_run_in_xenwatch(const char *node, void (*fn)(void *ctx), void *ctx,
				unsigned long timeout);

/* --- Defined in Rust, called from helpers.c --- */

int xen_channel_probe(struct xenbus_device *dev);
void xen_channel_remove(struct xenbus_device *dev);
void xen_channel_otherend_changed(struct xenbus_device *dev, enum xenbus_state state);
int xen_channel_resume(struct xenbus_device *dev);
int xen_channel_suspend(struct xenbus_device *dev);
void xen_channel_bus_event(unsigned long action, struct device *dev);
ssize_t xen_channel_attr_show(struct miscdevice *misc, const char *attr, char *buf);

#endif /* XEN_CHANNEL_HELPERS_H */
