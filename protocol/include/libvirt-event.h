/* Imported from libvirt 11.3.0 include/libvirt/libvirt-event.h; definitions only.
 * Copyright Red Hat, Inc. and libvirt contributors; LGPL-2.1-or-later (see LICENSE).
 */

typedef enum {
    VIR_EVENT_HANDLE_READABLE = (1 << 0),
    VIR_EVENT_HANDLE_WRITABLE = (1 << 1),
    VIR_EVENT_HANDLE_ERROR = (1 << 2),
    VIR_EVENT_HANDLE_HANGUP = (1 << 3),
} virEventHandleType;
