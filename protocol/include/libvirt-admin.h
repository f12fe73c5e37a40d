/* Imported from libvirt 11.3.0 include/libvirt/libvirt-admin.h; definitions only.
 * Copyright Red Hat, Inc. and libvirt contributors; LGPL-2.1-or-later (see LICENSE).
 */

#define VIR_THREADPOOL_WORKERS_MIN "minWorkers"
#define VIR_THREADPOOL_WORKERS_MAX "maxWorkers"
#define VIR_THREADPOOL_WORKERS_PRIORITY "prioWorkers"
#define VIR_THREADPOOL_WORKERS_FREE "freeWorkers"
#define VIR_THREADPOOL_WORKERS_CURRENT "nWorkers"
#define VIR_THREADPOOL_JOB_QUEUE_DEPTH "jobQueueDepth"

typedef enum {
    VIR_CLIENT_TRANS_UNIX = 0,
    VIR_CLIENT_TRANS_TCP,
    VIR_CLIENT_TRANS_TLS,
#ifdef VIR_ENUM_SENTINELS
    VIR_CLIENT_TRANS_LAST
#endif
} virClientTransport;

#define VIR_CLIENT_INFO_READONLY "readonly"
#define VIR_CLIENT_INFO_SOCKET_ADDR "sock_addr"
#define VIR_CLIENT_INFO_SASL_USER_NAME "sasl_user_name"
#define VIR_CLIENT_INFO_X509_DISTINGUISHED_NAME "tls_x509_dname"
#define VIR_CLIENT_INFO_UNIX_USER_ID "unix_user_id"
#define VIR_CLIENT_INFO_UNIX_USER_NAME "unix_user_name"
#define VIR_CLIENT_INFO_UNIX_GROUP_ID "unix_group_id"
#define VIR_CLIENT_INFO_UNIX_GROUP_NAME "unix_group_name"
#define VIR_CLIENT_INFO_UNIX_PROCESS_ID "unix_process_id"
#define VIR_CLIENT_INFO_SELINUX_CONTEXT "selinux_context"
#define VIR_SERVER_CLIENTS_MAX "nclients_max"
#define VIR_SERVER_CLIENTS_CURRENT "nclients"
#define VIR_SERVER_CLIENTS_UNAUTH_MAX "nclients_unauth_max"
#define VIR_SERVER_CLIENTS_UNAUTH_CURRENT "nclients_unauth"

typedef enum {
    VIR_DAEMON_SHUTDOWN_PRESERVE = (1 << 0),
} virAdmConnectDaemonShutdownFlags;
