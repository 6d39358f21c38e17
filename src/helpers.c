// SPDX-License-Identifier: GPL-2.0
/*
 * C glue for xen_channel: only what Rust cannot reach or should not declare by
 * hand. The kernel's Rust bindings carry no Xen headers, so every Xen call goes
 * through a function here, compiled against the real headers (a prototype that
 * changes breaks this file's build, not the module at run time). The rest:
 * macros and static inlines (THIS_MODULE, notify_remote_via_evtchn, wait_event,
 * spin_lock_irqsave, DEVICE_ATTR), module parameters and static tables.
 * Everything that decides anything lives in Rust.
 */

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <asm/xen/hypercall.h>
#include <xen/events.h>
#include <xen/grant_table.h>
#include <xen/interface/io/console.h>
#include <xen/page.h>
#include <xen/xenbus.h>

#include <xen-channel.h>

#include "helpers.h"

/*
 * src/client.rs mirrors the client API's structs (RawOps, RawClient, in this
 * order, pointer-sized fields) and enum xen_channel_state (state_code()): keep
 * them in step; these fail the build if the header moves.
 */
static_assert(offsetof(struct xen_channel_client, name) == 0 * sizeof(void *));
static_assert(offsetof(struct xen_channel_client, ops) == 1 * sizeof(void *));
static_assert(offsetof(struct xen_channel_client, priv) == 2 * sizeof(void *));
static_assert(offsetof(struct xen_channel_client, internal) == 3 * sizeof(void *));
static_assert(sizeof(struct xen_channel_client) == 4 * sizeof(void *));
static_assert(offsetof(struct xen_channel_client_ops, attached) == 0 * sizeof(void *));
static_assert(offsetof(struct xen_channel_client_ops, detached) == 1 * sizeof(void *));
static_assert(offsetof(struct xen_channel_client_ops, receive) == 2 * sizeof(void *));
static_assert(offsetof(struct xen_channel_client_ops, write_space) == 3 * sizeof(void *));
static_assert(sizeof(struct xen_channel_client_ops) == 4 * sizeof(void *));
/*
 * src/pure/ring.rs spells out struct xencons_interface's layout (it has no
 * kernel headers): in[1024] at 0, out[2048] at 1024, then in_cons, in_prod,
 * out_cons, out_prod as u32 from 3072. These fail the build if Xen's header
 * ever says otherwise.
 */
static_assert(offsetof(struct xencons_interface, in) == 0 && sizeof_field(struct xencons_interface, in) == 1024);
static_assert(offsetof(struct xencons_interface, out) == 1024 && sizeof_field(struct xencons_interface, out) == 2048);
static_assert(offsetof(struct xencons_interface, in_cons) == 3072);
static_assert(offsetof(struct xencons_interface, in_prod) == 3076);
static_assert(offsetof(struct xencons_interface, out_cons) == 3080);
static_assert(offsetof(struct xencons_interface, out_prod) == 3084);
static_assert(XEN_CHANNEL_ABSENT == 0 && XEN_CHANNEL_UNCONNECTED == 1 &&
	      XEN_CHANNEL_CONNECTED == 2 && XEN_CHANNEL_RECONNECTING == 3 &&
	      XEN_CHANNEL_HUNG_UP == 4 && XEN_CHANNEL_BROKEN == 5);

/* The in-kernel client API (include/xen-channel.h), defined in src/client.rs. */
EXPORT_SYMBOL_GPL(xen_channel_register);
EXPORT_SYMBOL_GPL(xen_channel_unregister);
EXPORT_SYMBOL_GPL(xen_channel_write_atomic);
EXPORT_SYMBOL_GPL(xen_channel_write);
EXPORT_SYMBOL_GPL(xen_channel_flush);
EXPORT_SYMBOL_GPL(xen_channel_rx_kick);
EXPORT_SYMBOL_GPL(xen_channel_state);

/* --- Module parameters ---------------------------------------------------- */

static bool takeover = true;
module_param(takeover, bool, 0444);
MODULE_PARM_DESC(takeover, "Move named consoles from hvc_xen to this driver (default: on)");

static unsigned int queue_kib = 64;
module_param(queue_kib, uint, 0444);
MODULE_PARM_DESC(queue_kib,
		 "KiB queued per channel and direction, 4 to 1024 (default 64)");

bool xen_channel_param_takeover(void)
{
	return takeover;
}

unsigned int xen_channel_param_queue_kib(void)
{
	return clamp(queue_kib, 4U, 1024U);
}

/* --- The xenbus driver ------------------------------------------------------ */

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
	.suspend = xen_channel_suspend,
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

/* --- struct xenbus_device --------------------------------------------------- */

const char *xen_channel_dev_nodename(const struct xenbus_device *dev)
{
	return dev->nodename;
}

struct device *xen_channel_dev_device(struct xenbus_device *dev)
{
	return &dev->dev;
}

enum xenbus_state xen_channel_dev_state(const struct xenbus_device *dev)
{
	return dev->state;
}

void *xen_channel_dev_get_drvdata(struct xenbus_device *dev)
{
	return dev_get_drvdata(&dev->dev);
}

void xen_channel_dev_set_drvdata(struct xenbus_device *dev, void *data)
{
	dev_set_drvdata(&dev->dev, data);
}

/*
 * xenbus_switch_state() returns 0 also when it could not write the state (it
 * reports that with xenbus_dev_fatal) or the device vanished: read back what
 * xenbus recorded.
 */
int xen_channel_switch_state(struct xenbus_device *dev, enum xenbus_state state)
{
	int err = xenbus_switch_state(dev, state);

	if (err)
		return err;
	return dev->state == state ? 0 : -EIO;
}

/* The backend's state, read now: the otherend watch is gone in remove. */
enum xenbus_state xen_channel_backend_state(struct xenbus_device *dev)
{
	return xenbus_read_driver_state(dev, dev->otherend);
}

/*
 * Publishes ring-ref and port in one transaction. A transaction that keeps
 * failing with -EAGAIN (someone keeps writing the same nodes) is given up after
 * a bounded number of tries.
 */
int xen_channel_publish_ring(struct xenbus_device *dev, grant_ref_t gref, evtchn_port_t port)
{
	struct xenbus_transaction t;
	int tries, err = -EAGAIN;

	for (tries = 0; tries < 64 && err == -EAGAIN; tries++) {
		err = xenbus_transaction_start(&t);
		if (err)
			return err;
		err = xenbus_printf(t, dev->nodename, "ring-ref", "%u", gref);
		if (!err)
			err = xenbus_printf(t, dev->nodename, "port", "%u", port);
		if (err) {
			xenbus_transaction_end(t, 1);
			return err;
		}
		err = xenbus_transaction_end(t, 0);
	}
	return err;
}

/* --- xenstore by path, for consoles that have no device --------------------- */

/* dir/node, kmalloc'd (kfree it), or an ERR_PTR. */
void *xen_channel_store_read(const char *dir, const char *node, unsigned int *len)
{
	return xenbus_read(XBT_NIL, dir, node, len);
}

/* The entries of dir in one kmalloc'd block (kfree it), or an ERR_PTR. */
char **xen_channel_store_directory(const char *dir, unsigned int *num)
{
	return xenbus_directory(XBT_NIL, dir, "", num);
}

int xen_channel_store_write_state(const char *dir, enum xenbus_state state)
{
	return xenbus_printf(XBT_NIL, dir, "state", "%u", state);
}

void xen_channel_store_remove(const char *dir, const char *node)
{
	xenbus_rm(XBT_NIL, dir, node);
}

enum xenbus_state xen_channel_store_state(const char *dir)
{
	return xenbus_read_driver_state(NULL, dir);
}

/* --- The ring page and its grant ------------------------------------------- */

int xen_channel_ring_setup(struct xenbus_device *dev, void **vaddr, grant_ref_t *gref)
{
	return xenbus_setup_ring(dev, GFP_KERNEL, vaddr, 1, gref);
}

/*
 * Ends the ring's grant and frees its page. A backend that still maps the page
 * keeps it: the grant table ends the grant and frees the page once it is
 * unmapped (it owns our page reference then). Returns whether that happened.
 */
bool xen_channel_ring_teardown(void *vaddr, grant_ref_t gref)
{
	if (gnttab_try_end_foreign_access(gref)) {
		free_pages_exact(vaddr, XEN_PAGE_SIZE);
		return false;
	}
	gnttab_end_foreign_access(gref, virt_to_page(vaddr));
	return true;
}

/* A plain memcpy to or from the shared page, opaque to the Rust compiler. */
void xen_channel_ring_copy(void *dst, const void *src, size_t len)
{
	memcpy(dst, src, len);
}

/*
 * One past the highest grant reference of this domain's grant table as it is
 * now: refs from xenstore are checked against it before the grant table is
 * indexed with them; 0 if Xen does not say.
 *
 * The table's maximum size is not that bound. A PV guest maps only the frames
 * it has set up (one at boot, more as it runs out of references), so an entry
 * past them is an unmapped address and indexing it oopses. Xen counts the
 * frames set up (GNTTABOP_query_size); Linux asks Xen for each new frame
 * before it maps it, so for a moment during a growth the last frame may not be
 * mapped yet: a ref there is never one a driver published, only one made up.
 */
unsigned int xen_channel_grant_ref_limit(void)
{
	struct gnttab_query_size size = { .dom = DOMID_SELF };
	struct gnttab_get_version version = { .dom = DOMID_SELF };
	unsigned int frames, per_frame;

	if (HYPERVISOR_grant_table_op(GNTTABOP_query_size, &size, 1) || size.status != GNTST_okay)
		return 0;
	if (HYPERVISOR_grant_table_op(GNTTABOP_get_version, &version, 1))
		return 0;
	frames = min(size.nr_frames, gnttab_max_grant_frames());
	per_frame = XEN_PAGE_SIZE / (version.version == 2 ? sizeof(union grant_entry_v2) :
							    sizeof(struct grant_entry_v1));
	return frames * per_frame;
}

/* Ends grant @gref unless it is mapped; does not free the reference. */
bool xen_channel_end_grant(grant_ref_t gref)
{
	return gnttab_end_foreign_access_ref(gref);
}

/* --- The event channel ------------------------------------------------------ */

/*
 * Allocates a port for the backend and binds @handler to it with lateeoi: the
 * handler tells the core whether an event did any work (xen_channel_irq_eoi),
 * so that a storm of empty events gets delayed (XSA-391). Returns the irq.
 */
int xen_channel_evtchn_bind(struct xenbus_device *dev, irq_handler_t handler,
			    const char *name, void *dev_id, evtchn_port_t *port)
{
	int err, irq;

	err = xenbus_alloc_evtchn(dev, port);
	if (err)
		return err;
	irq = bind_evtchn_to_irqhandler_lateeoi(*port, handler, 0, name, dev_id);
	if (irq < 0)
		xenbus_free_evtchn(dev, *port);
	return irq;
}

/* Unbinds the handler, waiting for a running one, and closes the port. */
void xen_channel_evtchn_unbind(int irq, void *dev_id)
{
	unbind_from_irqhandler(irq, dev_id);
}

void xen_channel_notify(evtchn_port_t port)
{
	notify_remote_via_evtchn(port);
}

void xen_channel_irq_eoi(int irq, bool spurious)
{
	xen_irq_lateeoi(irq, spurious ? XEN_EOI_FLAG_SPURIOUS : 0);
}

/* --- An irq-saving spinlock --------------------------------------------------- */

unsigned long xen_channel_spin_lock_irqsave(spinlock_t *lock)
{
	unsigned long flags;

	spin_lock_irqsave(lock, flags);
	return flags;
}

void xen_channel_spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags)
{
	spin_unlock_irqrestore(lock, flags);
}

bool xen_channel_spin_trylock_irqsave(spinlock_t *lock, unsigned long *flags)
{
	return spin_trylock_irqsave(lock, *flags);
}

/* --- Waiting ----------------------------------------------------------------- */

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

/* As xen_channel_wait, for at most @timeout jiffies: jiffies left, 0 on time-out. */
long xen_channel_wait_timeout(struct wait_queue_head *wq, bool (*cond)(const void *ctx),
			      const void *ctx, long timeout)
{
	return wait_event_interruptible_timeout(*wq, cond(ctx), timeout);
}

/* A busy wait, for paths that poll the ring with interrupts off (panic). */
void xen_channel_udelay(unsigned int us)
{
	udelay(us);
}

/* --- sysfs attributes of the device node ------------------------------------- */

/*
 * Present when the node's ADD uevent fires (misc_register passes them to
 * device_create_with_groups); the device's drvdata is its struct miscdevice.
 * Rust formats each value by the attribute's name.
 */
static ssize_t xc_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return xen_channel_attr_show(dev_get_drvdata(dev), attr->attr.name, buf);
}

#define XC_ATTR(_name) struct device_attribute dev_attr_##_name = __ATTR(_name, 0444, xc_show, NULL)

static XC_ATTR(name);
static XC_ATTR(devid);
static XC_ATTR(state);
static XC_ATTR(frontend_state);
static XC_ATTR(backend_state);
static XC_ATTR(rx_bytes);
static XC_ATTR(tx_bytes);
static XC_ATTR(rx_queued);
static XC_ATTR(tx_queued);
static XC_ATTR(events);
static XC_ATTR(spurious_events);
static XC_ATTR(connects);

static struct attribute *xen_channel_attrs[] = {
	&dev_attr_name.attr,
	&dev_attr_devid.attr,
	&dev_attr_state.attr,
	&dev_attr_frontend_state.attr,
	&dev_attr_backend_state.attr,
	&dev_attr_rx_bytes.attr,
	&dev_attr_tx_bytes.attr,
	&dev_attr_rx_queued.attr,
	&dev_attr_tx_queued.attr,
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

/* --- Taking consoles over from hvc_xen (src/takeover.rs) --------------------- */

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

/* Freezable: no takeover runs while the domain is saved or restored. */
struct workqueue_struct *xen_channel_alloc_takeover_wq(void)
{
	return alloc_ordered_workqueue("xen_channel_takeover", WQ_FREEZABLE);
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

/*
 * The backend state of a device bound to another driver, through its frontend's
 * `backend` node: xenbus frees `otherend` when the driver is unbound.
 */
enum xenbus_state xen_channel_backend_state_of(struct xenbus_device *dev)
{
	enum xenbus_state state;
	char *backend;

	backend = xenbus_read(XBT_NIL, dev->nodename, "backend", NULL);
	if (IS_ERR(backend))
		return XenbusStateUnknown;
	state = xenbus_read_driver_state(dev, backend);
	kfree(backend);
	return state;
}

void xen_channel_release_driver(struct device *dev)
{
	device_release_driver(dev);
}

int xen_channel_attach_driver(struct device *dev)
{
	return device_driver_attach(&xen_channel_driver.driver, dev);
}

/* Whether hvc_xen's frontend driver is registered (CONFIG_HVC_XEN_FRONTEND=y). */
bool xen_channel_hvc_xen_present(void)
{
	struct device_driver *drv = driver_find("xenconsole", xen_channel_driver.driver.bus);

	return drv;
}

struct xc_in_xenwatch {
	struct xenbus_watch watch;
	void (*fn)(void *ctx);
	void *ctx;
	atomic_t fired;
	struct completion done;
};

static void xc_in_xenwatch_cb(struct xenbus_watch *w, const char *path, const char *token)
{
	struct xc_in_xenwatch *x = container_of(w, struct xc_in_xenwatch, watch);

	if (atomic_xchg(&x->fired, 1))
		return;
	x->fn(x->ctx);
	complete(&x->done);
}

/*
 * Runs fn(ctx) once in xenbus's watch thread (xenwatch), through a watch on
 * @node, which xenstore fires once when it is registered. There, unbinding a
 * xenbus driver does not wait for xenwatch_mutex, which xenwatch itself may hold
 * while it removes the same device (an AB-BA deadlock with device_lock
 * otherwise). Returns 0 once fn has run; -ETIMEDOUT if it did not start within
 * @timeout jiffies, and then it never will (the watch is gone).
 */
int xen_channel_run_in_xenwatch(const char *node, void (*fn)(void *ctx), void *ctx,
				unsigned long timeout)
{
	struct xc_in_xenwatch x = {
		.watch = { .node = node, .callback = xc_in_xenwatch_cb },
		.fn = fn,
		.ctx = ctx,
	};
	int err;

	atomic_set(&x.fired, 0);
	init_completion(&x.done);
	err = register_xenbus_watch(&x.watch);
	if (err)
		return err;
	wait_for_completion_timeout(&x.done, timeout);
	/* Waits for a running callback; a pending one is dropped. */
	unregister_xenbus_watch(&x.watch);
	return completion_done(&x.done) ? 0 : -ETIMEDOUT;
}
