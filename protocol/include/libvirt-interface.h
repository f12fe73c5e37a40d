/* Imported from libvirt 11.3.0 include/libvirt/libvirt-interface.h; definitions only.
 * Copyright Red Hat, Inc. and libvirt contributors; LGPL-2.1-or-later (see LICENSE).
 */

typedef enum {
    VIR_CONNECT_LIST_INTERFACES_INACTIVE = 1 << 0,
    VIR_CONNECT_LIST_INTERFACES_ACTIVE = 1 << 1,
} virConnectListAllInterfacesFlags;

typedef enum {
    VIR_INTERFACE_XML_INACTIVE = 1 << 0,
} virInterfaceXMLFlags;

typedef enum {
    VIR_INTERFACE_DEFINE_VALIDATE = 1 << 0,
} virInterfaceDefineFlags;
