/* Imported from libvirt 11.3.0 include/libvirt/libvirt-nwfilter.h; definitions only.
 * Copyright Red Hat, Inc. and libvirt contributors; LGPL-2.1-or-later (see LICENSE).
 */

typedef enum {
    VIR_NWFILTER_DEFINE_VALIDATE = 1 << 0,
} virNWFilterDefineFlags;

typedef enum {
    VIR_NWFILTER_BINDING_CREATE_VALIDATE = 1 << 0,
} virNWFilterBindingCreateFlags;
