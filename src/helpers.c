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
#include <xen/events.h>
#include <xen/xenbus.h>

/* Implemented in Rust (src/driver.rs, src/chardev.rs). */
int xen_channel_probe(struct xenbus_device *dev);
void xen_channel_remove(struct xenbus_device *dev);
void xen_channel_otherend_changed(struct xenbus_device *dev, enum xenbus_state state);
const char *xen_channel_misc_name(struct miscdevice *misc);
unsigned int xen_channel_misc_devid(struct miscdevice *misc);

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
};

int xen_channel_register_driver(void)
{
	return xenbus_register_frontend(&xen_channel_driver);
}

void xen_channel_unregister_driver(void)
{
	xenbus_unregister_driver(&xen_channel_driver);
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

static ssize_t devid_show(struct device *dev, struct device_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%u\n", xen_channel_misc_devid(dev_get_drvdata(dev)));
}
static DEVICE_ATTR_RO(devid);

static struct attribute *xen_channel_attrs[] = {
	&dev_attr_name.attr,
	&dev_attr_devid.attr,
	NULL,
};
ATTRIBUTE_GROUPS(xen_channel);

const struct attribute_group **xen_channel_attr_groups(void)
{
	return xen_channel_groups;
}
