// SPDX-License-Identifier: GPL-2.0
/*
 * C glue for xen_channel: only what Rust cannot reach. The kernel's Rust bindings
 * carry no Xen headers, so this file covers the Xen macros and static inlines
 * (xenbus_register_frontend uses THIS_MODULE, notify_remote_via_evtchn), the
 * struct xenbus_device layout, and the wait-queue and sysfs-attribute macros.
 * Everything that decides anything lives in Rust.
 */

#include <linux/device.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sysfs.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <xen/events.h>
#include <xen/xenbus.h>

#include "helpers.h"

static int xen_channel_probe_c(struct xenbus_device *dev,
			       const struct xenbus_device_id *id)
{
	return xen_channel_probe(dev);
}

static const struct xenbus_device_id xen_channel_ids[] = {
	{ "console" },
	{ "" }
};

static struct xenbus_driver xen_channel_driver = {
	.name = "xen-channel",
	.ids = xen_channel_ids,
	/* Do not hold up boot for consoles whose backend never answers. */
	.not_essential = true,
	.probe = xen_channel_probe_c,
	.remove = xen_channel_remove,
	.otherend_changed = xen_channel_otherend_changed,
	.resume = xen_channel_resume,
};

int xen_channel_register_driver(void)
{
	return xenbus_register_frontend(&xen_channel_driver);
}

void xen_channel_unregister_driver(void)
{
	xenbus_unregister_driver(&xen_channel_driver);
}

/*
 * Takeover from hvc_xen (src/takeover.rs). Rust's module! has no bool parameters,
 * the bus notifier needs a static notifier_block, and alloc_ordered_workqueue is a
 * macro; the steps themselves are in Rust.
 */
static bool takeover = true;
module_param(takeover, bool, 0444);
MODULE_PARM_DESC(takeover,
		 "Move named consoles from hvc_xen to this driver (default: on)");

bool xen_channel_takeover_enabled(void)
{
	return takeover;
}

const struct device_driver *xen_channel_driver_core(void)
{
	return &xen_channel_driver.driver;
}

static int xen_channel_bus_event_c(struct notifier_block *nb,
				   unsigned long action, void *dev)
{
	xen_channel_bus_event(action, dev);
	return NOTIFY_DONE;
}

static struct notifier_block xen_channel_bus_nb = {
	.notifier_call = xen_channel_bus_event_c,
};

/* Only after xen_channel_register_driver(), which sets the driver's bus. */
int xen_channel_watch_bus(void)
{
	return bus_register_notifier(xen_channel_driver.driver.bus, &xen_channel_bus_nb);
}

void xen_channel_unwatch_bus(void)
{
	bus_unregister_notifier(xen_channel_driver.driver.bus, &xen_channel_bus_nb);
}

struct workqueue_struct *xen_channel_alloc_takeover_wq(void)
{
	return alloc_ordered_workqueue("xen_channel_takeover", 0);
}

/* Whether @dev is bound to the driver called @name, read under the device lock. */
bool xen_channel_dev_driven_by(struct device *dev, const char *name)
{
	bool driven;

	device_lock(dev);
	driven = dev->driver && !strcmp(dev->driver->name, name);
	device_unlock(dev);
	return driven;
}

/* Whether the frontend bus has a device called @name (bus_find_device_by_name is inline). */
bool xen_channel_bus_has(const char *name)
{
	struct device *dev = bus_find_device_by_name(xen_channel_driver.driver.bus, NULL, name);

	put_device(dev);
	return dev;
}

/* Every device on the xen frontend bus is a struct xenbus_device. */
struct xenbus_device *xen_channel_to_xenbus_device(struct device *dev)
{
	return to_xenbus_device(dev);
}

/* struct xenbus_device accessors. */
const char *xen_channel_dev_nodename(const struct xenbus_device *dev)
{
	return dev->nodename;
}

const char *xen_channel_dev_otherend(const struct xenbus_device *dev)
{
	return dev->otherend;
}

struct device *xen_channel_dev_device(struct xenbus_device *dev)
{
	return &dev->dev;
}

enum xenbus_state xen_channel_dev_state(const struct xenbus_device *dev)
{
	return dev->state;
}

void xen_channel_notify(evtchn_port_t port)
{
	notify_remote_via_evtchn(port);
}

void xen_channel_waitq_init(struct wait_queue_head *wq)
{
	init_waitqueue_head(wq);
}

/* Sleeps until cond(ctx) holds; 0 then, -ERESTARTSYS on a signal. */
int xen_channel_wait(struct wait_queue_head *wq, bool (*cond)(const void *ctx),
		     const void *ctx)
{
	return wait_event_interruptible(*wq, cond(ctx));
}

/*
 * sysfs attributes of each channel's misc device, present when the device's ADD
 * uevent fires (misc_register passes them to device_create_with_groups). The
 * device's drvdata is its struct miscdevice.
 */
static ssize_t name_show(struct device *dev, struct device_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%s\n", xen_channel_misc_name(dev_get_drvdata(dev)));
}
static DEVICE_ATTR_RO(name);

/* Must match `enum Stat` in chardev.rs. */
enum xc_stat {
	XC_DEVID, XC_FRONTEND_STATE, XC_BACKEND_STATE, XC_RX_BYTES, XC_TX_BYTES,
	XC_EVENTS, XC_SPURIOUS_EVENTS, XC_CONNECTS,
};

static u64 xc_stat(struct device *dev, enum xc_stat which)
{
	return xen_channel_misc_stat(dev_get_drvdata(dev), which);
}

#define XC_NUMBER_ATTR(_name, _which)						\
static ssize_t _name##_show(struct device *dev, struct device_attribute *a,	\
			    char *buf)						\
{										\
	return sysfs_emit(buf, "%llu\n", xc_stat(dev, _which));		\
}										\
static DEVICE_ATTR_RO(_name)

#define XC_STATE_ATTR(_name, _which)						\
static ssize_t _name##_show(struct device *dev, struct device_attribute *a,	\
			    char *buf)						\
{										\
	return sysfs_emit(buf, "%s\n", xenbus_strstate(xc_stat(dev, _which)));	\
}										\
static DEVICE_ATTR_RO(_name)

XC_NUMBER_ATTR(devid, XC_DEVID);
XC_STATE_ATTR(frontend_state, XC_FRONTEND_STATE);
XC_STATE_ATTR(backend_state, XC_BACKEND_STATE);
XC_NUMBER_ATTR(rx_bytes, XC_RX_BYTES);
XC_NUMBER_ATTR(tx_bytes, XC_TX_BYTES);
XC_NUMBER_ATTR(events, XC_EVENTS);
XC_NUMBER_ATTR(spurious_events, XC_SPURIOUS_EVENTS);
XC_NUMBER_ATTR(connects, XC_CONNECTS);

static struct attribute *xen_channel_attrs[] = {
	&dev_attr_name.attr,
	&dev_attr_devid.attr,
	&dev_attr_frontend_state.attr,
	&dev_attr_backend_state.attr,
	&dev_attr_rx_bytes.attr,
	&dev_attr_tx_bytes.attr,
	&dev_attr_events.attr,
	&dev_attr_spurious_events.attr,
	&dev_attr_connects.attr,
	NULL,
};
ATTRIBUTE_GROUPS(xen_channel);

const struct attribute_group **xen_channel_attr_groups(void)
{
	return xen_channel_groups;
}
