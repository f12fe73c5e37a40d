"""virtwire's exceptions.

Every failure virtwire raises is an :class:`Error`, the counterpart of Perl's
``Sys::Virt::Error``; ``except virtwire.errors.Error`` catches them all::

    Error(Exception)                    a libvirt error: code, domain, level, message, ...
    ├── LocalProtocolError              the caller misused the protocol core
    ├── RemoteProtocolError             the daemon broke the wire rules; the connection is dead
    ├── XDRError                        a value could not be encoded or decoded
    ├── TransportError                  socket-level failure
    │   └── ConnectionClosedError       the peer closed, EOF, or already closed
    │       └── KeepaliveTimeoutError   the peer stopped answering keepalive pings
    ├── AuthError                       authentication failed
    │   └── AuthCancelledError          the user cancelled authentication
    └── CallTimeoutError                a call's deadline passed

Default ``code`` / ``domain`` (``Error.ERR_*`` / ``Error.FROM_*``), as libvirt's C client
reports the same failures: Error INTERNAL_ERROR / NONE; LocalProtocolError
INTERNAL_ERROR / RPC; RemoteProtocolError and XDRError RPC / RPC; TransportError and
ConnectionClosedError SYSTEM_ERROR / RPC; KeepaliveTimeoutError INTERNAL_ERROR / RPC;
AuthError AUTH_FAILED / AUTH; AuthCancelledError AUTH_CANCELLED / AUTH;
CallTimeoutError OPERATION_TIMEOUT / RPC. ``level`` defaults to ``LEVEL_ERROR``.

Errors the daemon reports for a call are plain :class:`Error` built by
:meth:`Error.from_remote`. An ``XDRError`` raised while decoding what the peer sent is
wrapped by the RPC layer in ``RemoteProtocolError`` (``raise ... from``).

Sys::Virt compatibility: the data are attributes, so Perl's ``$err->code``,
``$err->domain``, ``$err->level`` and ``$err->message`` are ``err.code``,
``err.domain``, ``err.level`` and ``err.message`` (no parentheses; a method and an
attribute cannot share a name). ``err.stringify()`` returns Sys::Virt's exact text
(trailing newline included) and ``str(err)`` the same without the newline. Getters
named as libvirt-python's (``get_error_code()`` ...) exist too. The constants
Sys::Virt::Error documents are class attributes: ``Error.ERR_NO_DOMAIN``,
``Error.FROM_QEMU``, ``Error.LEVEL_ERROR`` and so on, one per member of the C enums
``virErrorNumber``, ``virErrorDomain`` and ``virErrorLevel``. ``code``, ``domain``
and ``level`` are those enums' members when known (so they print by name), plain
ints otherwise.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any, ClassVar, Final, TypeVar

from virtwire.constants_gen import virErrorDomain, virErrorLevel, virErrorNumber

__all__ = [
    "AuthCancelledError",
    "AuthError",
    "CallTimeoutError",
    "ConnectionClosedError",
    "Error",
    "KeepaliveTimeoutError",
    "LocalProtocolError",
    "RemoteProtocolError",
    "TransportError",
    "XDRError",
]

_E = TypeVar("_E", bound=IntEnum)
_UNKNOWN_MESSAGE = "Unknown error"  # the C client's text for an error without message


def _known(enum: type[_E], value: int) -> int:
    """``value`` as a member of ``enum`` if it is one, else as a plain int."""
    try:
        return enum(value)
    except ValueError:
        return int(value)


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


class Error(Exception):
    """A libvirt error: Sys::Virt::Error's counterpart and the base of all virtwire errors."""

    default_code: ClassVar[int] = virErrorNumber.VIR_ERR_INTERNAL_ERROR
    default_domain: ClassVar[int] = virErrorDomain.VIR_FROM_NONE

    # ERROR LEVEL CONSTANTS
    LEVEL_NONE: Final = virErrorLevel.VIR_ERR_NONE
    LEVEL_WARNING: Final = virErrorLevel.VIR_ERR_WARNING
    LEVEL_ERROR: Final = virErrorLevel.VIR_ERR_ERROR

    # ERROR DOMAIN CONSTANTS
    FROM_NONE: Final = virErrorDomain.VIR_FROM_NONE
    FROM_XEN: Final = virErrorDomain.VIR_FROM_XEN
    FROM_XEND: Final = virErrorDomain.VIR_FROM_XEND
    FROM_XENSTORE: Final = virErrorDomain.VIR_FROM_XENSTORE
    FROM_SEXPR: Final = virErrorDomain.VIR_FROM_SEXPR
    FROM_XML: Final = virErrorDomain.VIR_FROM_XML
    FROM_DOM: Final = virErrorDomain.VIR_FROM_DOM
    FROM_RPC: Final = virErrorDomain.VIR_FROM_RPC
    FROM_PROXY: Final = virErrorDomain.VIR_FROM_PROXY
    FROM_CONF: Final = virErrorDomain.VIR_FROM_CONF
    FROM_QEMU: Final = virErrorDomain.VIR_FROM_QEMU
    FROM_NET: Final = virErrorDomain.VIR_FROM_NET
    FROM_TEST: Final = virErrorDomain.VIR_FROM_TEST
    FROM_REMOTE: Final = virErrorDomain.VIR_FROM_REMOTE
    FROM_OPENVZ: Final = virErrorDomain.VIR_FROM_OPENVZ
    FROM_XENXM: Final = virErrorDomain.VIR_FROM_XENXM
    FROM_STATS_LINUX: Final = virErrorDomain.VIR_FROM_STATS_LINUX
    FROM_LXC: Final = virErrorDomain.VIR_FROM_LXC
    FROM_STORAGE: Final = virErrorDomain.VIR_FROM_STORAGE
    FROM_NETWORK: Final = virErrorDomain.VIR_FROM_NETWORK
    FROM_DOMAIN: Final = virErrorDomain.VIR_FROM_DOMAIN
    FROM_UML: Final = virErrorDomain.VIR_FROM_UML
    FROM_NODEDEV: Final = virErrorDomain.VIR_FROM_NODEDEV
    FROM_XEN_INOTIFY: Final = virErrorDomain.VIR_FROM_XEN_INOTIFY
    FROM_SECURITY: Final = virErrorDomain.VIR_FROM_SECURITY
    FROM_VBOX: Final = virErrorDomain.VIR_FROM_VBOX
    FROM_INTERFACE: Final = virErrorDomain.VIR_FROM_INTERFACE
    FROM_ONE: Final = virErrorDomain.VIR_FROM_ONE
    FROM_ESX: Final = virErrorDomain.VIR_FROM_ESX
    FROM_PHYP: Final = virErrorDomain.VIR_FROM_PHYP
    FROM_SECRET: Final = virErrorDomain.VIR_FROM_SECRET
    FROM_CPU: Final = virErrorDomain.VIR_FROM_CPU
    FROM_XENAPI: Final = virErrorDomain.VIR_FROM_XENAPI
    FROM_NWFILTER: Final = virErrorDomain.VIR_FROM_NWFILTER
    FROM_HOOK: Final = virErrorDomain.VIR_FROM_HOOK
    FROM_DOMAIN_SNAPSHOT: Final = virErrorDomain.VIR_FROM_DOMAIN_SNAPSHOT
    FROM_AUDIT: Final = virErrorDomain.VIR_FROM_AUDIT
    FROM_SYSINFO: Final = virErrorDomain.VIR_FROM_SYSINFO
    FROM_STREAMS: Final = virErrorDomain.VIR_FROM_STREAMS
    FROM_VMWARE: Final = virErrorDomain.VIR_FROM_VMWARE
    FROM_EVENT: Final = virErrorDomain.VIR_FROM_EVENT
    FROM_LIBXL: Final = virErrorDomain.VIR_FROM_LIBXL
    FROM_LOCKING: Final = virErrorDomain.VIR_FROM_LOCKING
    FROM_HYPERV: Final = virErrorDomain.VIR_FROM_HYPERV
    FROM_CAPABILITIES: Final = virErrorDomain.VIR_FROM_CAPABILITIES
    FROM_URI: Final = virErrorDomain.VIR_FROM_URI
    FROM_AUTH: Final = virErrorDomain.VIR_FROM_AUTH
    FROM_DBUS: Final = virErrorDomain.VIR_FROM_DBUS
    FROM_PARALLELS: Final = virErrorDomain.VIR_FROM_PARALLELS
    FROM_DEVICE: Final = virErrorDomain.VIR_FROM_DEVICE
    FROM_SSH: Final = virErrorDomain.VIR_FROM_SSH
    FROM_LOCKSPACE: Final = virErrorDomain.VIR_FROM_LOCKSPACE
    FROM_INITCTL: Final = virErrorDomain.VIR_FROM_INITCTL
    FROM_IDENTITY: Final = virErrorDomain.VIR_FROM_IDENTITY
    FROM_CGROUP: Final = virErrorDomain.VIR_FROM_CGROUP
    FROM_ACCESS: Final = virErrorDomain.VIR_FROM_ACCESS
    FROM_SYSTEMD: Final = virErrorDomain.VIR_FROM_SYSTEMD
    FROM_BHYVE: Final = virErrorDomain.VIR_FROM_BHYVE
    FROM_CRYPTO: Final = virErrorDomain.VIR_FROM_CRYPTO
    FROM_FIREWALL: Final = virErrorDomain.VIR_FROM_FIREWALL
    FROM_POLKIT: Final = virErrorDomain.VIR_FROM_POLKIT
    FROM_THREAD: Final = virErrorDomain.VIR_FROM_THREAD
    FROM_ADMIN: Final = virErrorDomain.VIR_FROM_ADMIN
    FROM_LOGGING: Final = virErrorDomain.VIR_FROM_LOGGING
    FROM_XENXL: Final = virErrorDomain.VIR_FROM_XENXL
    FROM_PERF: Final = virErrorDomain.VIR_FROM_PERF
    FROM_LIBSSH: Final = virErrorDomain.VIR_FROM_LIBSSH
    FROM_RESCTRL: Final = virErrorDomain.VIR_FROM_RESCTRL
    FROM_FIREWALLD: Final = virErrorDomain.VIR_FROM_FIREWALLD
    FROM_DOMAIN_CHECKPOINT: Final = virErrorDomain.VIR_FROM_DOMAIN_CHECKPOINT
    FROM_TPM: Final = virErrorDomain.VIR_FROM_TPM
    FROM_BPF: Final = virErrorDomain.VIR_FROM_BPF
    FROM_CH: Final = virErrorDomain.VIR_FROM_CH

    # ERROR CODE CONSTANTS
    ERR_OK: Final = virErrorNumber.VIR_ERR_OK
    ERR_INTERNAL_ERROR: Final = virErrorNumber.VIR_ERR_INTERNAL_ERROR
    ERR_NO_MEMORY: Final = virErrorNumber.VIR_ERR_NO_MEMORY
    ERR_NO_SUPPORT: Final = virErrorNumber.VIR_ERR_NO_SUPPORT
    ERR_UNKNOWN_HOST: Final = virErrorNumber.VIR_ERR_UNKNOWN_HOST
    ERR_NO_CONNECT: Final = virErrorNumber.VIR_ERR_NO_CONNECT
    ERR_INVALID_CONN: Final = virErrorNumber.VIR_ERR_INVALID_CONN
    ERR_INVALID_DOMAIN: Final = virErrorNumber.VIR_ERR_INVALID_DOMAIN
    ERR_INVALID_ARG: Final = virErrorNumber.VIR_ERR_INVALID_ARG
    ERR_OPERATION_FAILED: Final = virErrorNumber.VIR_ERR_OPERATION_FAILED
    ERR_GET_FAILED: Final = virErrorNumber.VIR_ERR_GET_FAILED
    ERR_POST_FAILED: Final = virErrorNumber.VIR_ERR_POST_FAILED
    ERR_HTTP_ERROR: Final = virErrorNumber.VIR_ERR_HTTP_ERROR
    ERR_SEXPR_SERIAL: Final = virErrorNumber.VIR_ERR_SEXPR_SERIAL
    ERR_NO_XEN: Final = virErrorNumber.VIR_ERR_NO_XEN
    ERR_XEN_CALL: Final = virErrorNumber.VIR_ERR_XEN_CALL
    ERR_OS_TYPE: Final = virErrorNumber.VIR_ERR_OS_TYPE
    ERR_NO_KERNEL: Final = virErrorNumber.VIR_ERR_NO_KERNEL
    ERR_NO_ROOT: Final = virErrorNumber.VIR_ERR_NO_ROOT
    ERR_NO_SOURCE: Final = virErrorNumber.VIR_ERR_NO_SOURCE
    ERR_NO_TARGET: Final = virErrorNumber.VIR_ERR_NO_TARGET
    ERR_NO_NAME: Final = virErrorNumber.VIR_ERR_NO_NAME
    ERR_NO_OS: Final = virErrorNumber.VIR_ERR_NO_OS
    ERR_NO_DEVICE: Final = virErrorNumber.VIR_ERR_NO_DEVICE
    ERR_NO_XENSTORE: Final = virErrorNumber.VIR_ERR_NO_XENSTORE
    ERR_DRIVER_FULL: Final = virErrorNumber.VIR_ERR_DRIVER_FULL
    ERR_CALL_FAILED: Final = virErrorNumber.VIR_ERR_CALL_FAILED
    ERR_XML_ERROR: Final = virErrorNumber.VIR_ERR_XML_ERROR
    ERR_DOM_EXIST: Final = virErrorNumber.VIR_ERR_DOM_EXIST
    ERR_OPERATION_DENIED: Final = virErrorNumber.VIR_ERR_OPERATION_DENIED
    ERR_OPEN_FAILED: Final = virErrorNumber.VIR_ERR_OPEN_FAILED
    ERR_READ_FAILED: Final = virErrorNumber.VIR_ERR_READ_FAILED
    ERR_PARSE_FAILED: Final = virErrorNumber.VIR_ERR_PARSE_FAILED
    ERR_CONF_SYNTAX: Final = virErrorNumber.VIR_ERR_CONF_SYNTAX
    ERR_WRITE_FAILED: Final = virErrorNumber.VIR_ERR_WRITE_FAILED
    ERR_XML_DETAIL: Final = virErrorNumber.VIR_ERR_XML_DETAIL
    ERR_INVALID_NETWORK: Final = virErrorNumber.VIR_ERR_INVALID_NETWORK
    ERR_NETWORK_EXIST: Final = virErrorNumber.VIR_ERR_NETWORK_EXIST
    ERR_SYSTEM_ERROR: Final = virErrorNumber.VIR_ERR_SYSTEM_ERROR
    ERR_RPC: Final = virErrorNumber.VIR_ERR_RPC
    ERR_GNUTLS_ERROR: Final = virErrorNumber.VIR_ERR_GNUTLS_ERROR
    WAR_NO_NETWORK: Final = virErrorNumber.VIR_WAR_NO_NETWORK
    ERR_NO_DOMAIN: Final = virErrorNumber.VIR_ERR_NO_DOMAIN
    ERR_NO_NETWORK: Final = virErrorNumber.VIR_ERR_NO_NETWORK
    ERR_INVALID_MAC: Final = virErrorNumber.VIR_ERR_INVALID_MAC
    ERR_AUTH_FAILED: Final = virErrorNumber.VIR_ERR_AUTH_FAILED
    ERR_INVALID_STORAGE_POOL: Final = virErrorNumber.VIR_ERR_INVALID_STORAGE_POOL
    ERR_INVALID_STORAGE_VOL: Final = virErrorNumber.VIR_ERR_INVALID_STORAGE_VOL
    WAR_NO_STORAGE: Final = virErrorNumber.VIR_WAR_NO_STORAGE
    ERR_NO_STORAGE_POOL: Final = virErrorNumber.VIR_ERR_NO_STORAGE_POOL
    ERR_NO_STORAGE_VOL: Final = virErrorNumber.VIR_ERR_NO_STORAGE_VOL
    WAR_NO_NODE: Final = virErrorNumber.VIR_WAR_NO_NODE
    ERR_INVALID_NODE_DEVICE: Final = virErrorNumber.VIR_ERR_INVALID_NODE_DEVICE
    ERR_NO_NODE_DEVICE: Final = virErrorNumber.VIR_ERR_NO_NODE_DEVICE
    ERR_NO_SECURITY_MODEL: Final = virErrorNumber.VIR_ERR_NO_SECURITY_MODEL
    ERR_OPERATION_INVALID: Final = virErrorNumber.VIR_ERR_OPERATION_INVALID
    WAR_NO_INTERFACE: Final = virErrorNumber.VIR_WAR_NO_INTERFACE
    ERR_NO_INTERFACE: Final = virErrorNumber.VIR_ERR_NO_INTERFACE
    ERR_INVALID_INTERFACE: Final = virErrorNumber.VIR_ERR_INVALID_INTERFACE
    ERR_MULTIPLE_INTERFACES: Final = virErrorNumber.VIR_ERR_MULTIPLE_INTERFACES
    WAR_NO_NWFILTER: Final = virErrorNumber.VIR_WAR_NO_NWFILTER
    ERR_INVALID_NWFILTER: Final = virErrorNumber.VIR_ERR_INVALID_NWFILTER
    ERR_NO_NWFILTER: Final = virErrorNumber.VIR_ERR_NO_NWFILTER
    ERR_BUILD_FIREWALL: Final = virErrorNumber.VIR_ERR_BUILD_FIREWALL
    WAR_NO_SECRET: Final = virErrorNumber.VIR_WAR_NO_SECRET
    ERR_INVALID_SECRET: Final = virErrorNumber.VIR_ERR_INVALID_SECRET
    ERR_NO_SECRET: Final = virErrorNumber.VIR_ERR_NO_SECRET
    ERR_CONFIG_UNSUPPORTED: Final = virErrorNumber.VIR_ERR_CONFIG_UNSUPPORTED
    ERR_OPERATION_TIMEOUT: Final = virErrorNumber.VIR_ERR_OPERATION_TIMEOUT
    ERR_MIGRATE_PERSIST_FAILED: Final = virErrorNumber.VIR_ERR_MIGRATE_PERSIST_FAILED
    ERR_HOOK_SCRIPT_FAILED: Final = virErrorNumber.VIR_ERR_HOOK_SCRIPT_FAILED
    ERR_INVALID_DOMAIN_SNAPSHOT: Final = virErrorNumber.VIR_ERR_INVALID_DOMAIN_SNAPSHOT
    ERR_NO_DOMAIN_SNAPSHOT: Final = virErrorNumber.VIR_ERR_NO_DOMAIN_SNAPSHOT
    ERR_INVALID_STREAM: Final = virErrorNumber.VIR_ERR_INVALID_STREAM
    ERR_ARGUMENT_UNSUPPORTED: Final = virErrorNumber.VIR_ERR_ARGUMENT_UNSUPPORTED
    ERR_STORAGE_PROBE_FAILED: Final = virErrorNumber.VIR_ERR_STORAGE_PROBE_FAILED
    ERR_STORAGE_POOL_BUILT: Final = virErrorNumber.VIR_ERR_STORAGE_POOL_BUILT
    ERR_SNAPSHOT_REVERT_RISKY: Final = virErrorNumber.VIR_ERR_SNAPSHOT_REVERT_RISKY
    ERR_OPERATION_ABORTED: Final = virErrorNumber.VIR_ERR_OPERATION_ABORTED
    ERR_AUTH_CANCELLED: Final = virErrorNumber.VIR_ERR_AUTH_CANCELLED
    ERR_NO_DOMAIN_METADATA: Final = virErrorNumber.VIR_ERR_NO_DOMAIN_METADATA
    ERR_MIGRATE_UNSAFE: Final = virErrorNumber.VIR_ERR_MIGRATE_UNSAFE
    ERR_OVERFLOW: Final = virErrorNumber.VIR_ERR_OVERFLOW
    ERR_BLOCK_COPY_ACTIVE: Final = virErrorNumber.VIR_ERR_BLOCK_COPY_ACTIVE
    ERR_OPERATION_UNSUPPORTED: Final = virErrorNumber.VIR_ERR_OPERATION_UNSUPPORTED
    ERR_SSH: Final = virErrorNumber.VIR_ERR_SSH
    ERR_AGENT_UNRESPONSIVE: Final = virErrorNumber.VIR_ERR_AGENT_UNRESPONSIVE
    ERR_RESOURCE_BUSY: Final = virErrorNumber.VIR_ERR_RESOURCE_BUSY
    ERR_ACCESS_DENIED: Final = virErrorNumber.VIR_ERR_ACCESS_DENIED
    ERR_DBUS_SERVICE: Final = virErrorNumber.VIR_ERR_DBUS_SERVICE
    ERR_STORAGE_VOL_EXIST: Final = virErrorNumber.VIR_ERR_STORAGE_VOL_EXIST
    ERR_CPU_INCOMPATIBLE: Final = virErrorNumber.VIR_ERR_CPU_INCOMPATIBLE
    ERR_XML_INVALID_SCHEMA: Final = virErrorNumber.VIR_ERR_XML_INVALID_SCHEMA
    ERR_MIGRATE_FINISH_OK: Final = virErrorNumber.VIR_ERR_MIGRATE_FINISH_OK
    ERR_AUTH_UNAVAILABLE: Final = virErrorNumber.VIR_ERR_AUTH_UNAVAILABLE
    ERR_NO_SERVER: Final = virErrorNumber.VIR_ERR_NO_SERVER
    ERR_NO_CLIENT: Final = virErrorNumber.VIR_ERR_NO_CLIENT
    ERR_AGENT_UNSYNCED: Final = virErrorNumber.VIR_ERR_AGENT_UNSYNCED
    ERR_LIBSSH: Final = virErrorNumber.VIR_ERR_LIBSSH
    ERR_DEVICE_MISSING: Final = virErrorNumber.VIR_ERR_DEVICE_MISSING
    ERR_INVALID_NWFILTER_BINDING: Final = virErrorNumber.VIR_ERR_INVALID_NWFILTER_BINDING
    ERR_NO_NWFILTER_BINDING: Final = virErrorNumber.VIR_ERR_NO_NWFILTER_BINDING
    ERR_INVALID_DOMAIN_CHECKPOINT: Final = virErrorNumber.VIR_ERR_INVALID_DOMAIN_CHECKPOINT
    ERR_NO_DOMAIN_CHECKPOINT: Final = virErrorNumber.VIR_ERR_NO_DOMAIN_CHECKPOINT
    ERR_NO_DOMAIN_BACKUP: Final = virErrorNumber.VIR_ERR_NO_DOMAIN_BACKUP
    ERR_INVALID_NETWORK_PORT: Final = virErrorNumber.VIR_ERR_INVALID_NETWORK_PORT
    ERR_NETWORK_PORT_EXIST: Final = virErrorNumber.VIR_ERR_NETWORK_PORT_EXIST
    ERR_NO_NETWORK_PORT: Final = virErrorNumber.VIR_ERR_NO_NETWORK_PORT
    ERR_NO_HOSTNAME: Final = virErrorNumber.VIR_ERR_NO_HOSTNAME
    ERR_CHECKPOINT_INCONSISTENT: Final = virErrorNumber.VIR_ERR_CHECKPOINT_INCONSISTENT
    ERR_MULTIPLE_DOMAINS: Final = virErrorNumber.VIR_ERR_MULTIPLE_DOMAINS
    ERR_NO_NETWORK_METADATA: Final = virErrorNumber.VIR_ERR_NO_NETWORK_METADATA
    ERR_AGENT_COMMAND_TIMEOUT: Final = virErrorNumber.VIR_ERR_AGENT_COMMAND_TIMEOUT
    ERR_AGENT_COMMAND_FAILED: Final = virErrorNumber.VIR_ERR_AGENT_COMMAND_FAILED

    # Names Sys::Virt::Error's manual uses for codes the C header spells differently.
    ERR_OPERATIONED_DENIED: Final = virErrorNumber.VIR_ERR_OPERATION_DENIED
    ERR_INVALID_SCHEMA: Final = virErrorNumber.VIR_ERR_XML_INVALID_SCHEMA

    code: int
    domain: int
    message: str
    level: int
    str1: str | None
    str2: str | None
    str3: str | None
    int1: int
    int2: int
    dom: object | None
    net: object | None

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        domain: int | None = None,
        level: int = virErrorLevel.VIR_ERR_ERROR,
        str1: str | None = None,
        str2: str | None = None,
        str3: str | None = None,
        int1: int = 0,
        int2: int = 0,
        dom: object | None = None,
        net: object | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = _known(virErrorNumber, self.default_code if code is None else code)
        self.domain = _known(virErrorDomain, self.default_domain if domain is None else domain)
        self.level = _known(virErrorLevel, level)
        self.str1 = str1
        self.str2 = str2
        self.str3 = str3
        self.int1 = int1
        self.int2 = int2
        self.dom = dom
        self.net = net

    @classmethod
    def from_remote(cls, err: Any) -> Error:
        """Build from a decoded ``remote_error`` struct, as libvirt's C client does.

        A missing message becomes "Unknown error"; an RPC error whose message starts
        with "unknown procedure" becomes ``ERR_NO_SUPPORT``; the error-number shift of
        libvirt 0.7.x daemons is undone as the C client does.
        """
        code = int(err.code)
        domain = int(err.domain)
        level = int(err.level)
        message = _opt_str(err.message)
        if code in _SHIFTED_CODES and domain != virErrorDomain.VIR_FROM_NWFILTER:
            code += 4
        elif (code, domain) in _RENUMBERED:
            code = _RENUMBERED[code, domain]
        if (
            domain in (virErrorDomain.VIR_FROM_REMOTE, virErrorDomain.VIR_FROM_RPC)
            and code == virErrorNumber.VIR_ERR_RPC
            and level == virErrorLevel.VIR_ERR_ERROR
            and message is not None
            and message.startswith("unknown procedure")
        ):
            code = virErrorNumber.VIR_ERR_NO_SUPPORT
        return cls(
            _UNKNOWN_MESSAGE if message is None else message,
            code=code,
            domain=domain,
            level=level,
            str1=_opt_str(err.str1),
            str2=_opt_str(err.str2),
            str3=_opt_str(err.str3),
            int1=int(err.int1),
            int2=int(err.int2),
            dom=err.dom,
            net=err.net,
        )

    def stringify(self) -> str:
        """Sys::Virt::Error's text: code number and message, ending in a newline."""
        text = f"libvirt error code: {int(self.code)}, message: {self.message}"
        return text if text.endswith("\n") else text + "\n"

    def __str__(self) -> str:
        return self.stringify().rstrip("\n")

    def __repr__(self) -> str:
        parts = [repr(self.message)]
        for name in ("code", "domain", "level"):
            value = getattr(self, name)
            parts.append(f"{name}={value.name if isinstance(value, IntEnum) else value}")
        for name in ("str1", "str2", "str3", "dom", "net"):
            if getattr(self, name) is not None:
                parts.append(f"{name}={getattr(self, name)!r}")
        for name in ("int1", "int2"):
            if getattr(self, name):
                parts.append(f"{name}={getattr(self, name)}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message,), self.__dict__.copy())

    # libvirt-python style getters.
    def get_error_code(self) -> int:
        """The error number (``virErrorNumber``)."""
        return self.code

    def get_error_domain(self) -> int:
        """The part of libvirt that raised the error (``virErrorDomain``)."""
        return self.domain

    def get_error_level(self) -> int:
        """The severity (``virErrorLevel``)."""
        return self.level

    def get_error_message(self) -> str:
        """The human-readable message."""
        return self.message

    def get_str1(self) -> str | None:
        """Extra string information."""
        return self.str1

    def get_str2(self) -> str | None:
        """Extra string information."""
        return self.str2

    def get_str3(self) -> str | None:
        """Extra string information."""
        return self.str3

    def get_int1(self) -> int:
        """Extra number information."""
        return self.int1

    def get_int2(self) -> int:
        """Extra number information."""
        return self.int2


# Codes a 0.7.1-0.7.7 daemon sent 4 below their current number (outside FROM_NWFILTER).
_SHIFTED_CODES: Final = frozenset(
    {
        virErrorNumber.VIR_ERR_INVALID_NWFILTER,
        virErrorNumber.VIR_ERR_NO_NWFILTER,
        virErrorNumber.VIR_ERR_BUILD_FIREWALL,
    }
)

# Codes whose meaning depended on the domain in those daemons.
_RENUMBERED: Final[dict[tuple[int, int], int]] = {
    (virErrorNumber.VIR_WAR_NO_SECRET, virErrorDomain.VIR_FROM_QEMU): (
        virErrorNumber.VIR_ERR_OPERATION_TIMEOUT
    ),
    (virErrorNumber.VIR_ERR_INVALID_SECRET, virErrorDomain.VIR_FROM_XEN): (
        virErrorNumber.VIR_ERR_MIGRATE_PERSIST_FAILED
    ),
}


def _add_missing_constants() -> None:
    """Members added to the C enums after this module was written still appear."""
    for prefix, enum, strip in (
        ("LEVEL_", virErrorLevel, "VIR_ERR_"),
        ("", virErrorDomain, "VIR_"),
        ("", virErrorNumber, "VIR_"),
    ):
        for member in enum:
            name = prefix + member.name.removeprefix(strip)
            if name not in Error.__dict__:
                setattr(Error, name, member)


_add_missing_constants()


class LocalProtocolError(Error):
    """The caller misused the protocol core (wrong state, bad argument)."""

    default_code = virErrorNumber.VIR_ERR_INTERNAL_ERROR
    default_domain = virErrorDomain.VIR_FROM_RPC


class RemoteProtocolError(Error):
    """The daemon broke the wire rules; the connection cannot be used any more."""

    default_code = virErrorNumber.VIR_ERR_RPC
    default_domain = virErrorDomain.VIR_FROM_RPC


class XDRError(Error):
    """A value could not be encoded or decoded as XDR."""

    default_code = virErrorNumber.VIR_ERR_RPC
    default_domain = virErrorDomain.VIR_FROM_RPC


class TransportError(Error):
    """A socket-level failure."""

    default_code = virErrorNumber.VIR_ERR_SYSTEM_ERROR
    default_domain = virErrorDomain.VIR_FROM_RPC


class ConnectionClosedError(TransportError):
    """The peer closed the connection (EOF), or it was already closed."""


class KeepaliveTimeoutError(ConnectionClosedError):
    """The peer stopped answering keepalive pings, so the connection was closed."""

    default_code = virErrorNumber.VIR_ERR_INTERNAL_ERROR
    default_domain = virErrorDomain.VIR_FROM_RPC


class AuthError(Error):
    """Authentication with the daemon failed."""

    default_code = virErrorNumber.VIR_ERR_AUTH_FAILED
    default_domain = virErrorDomain.VIR_FROM_AUTH


class AuthCancelledError(AuthError):
    """The user cancelled authentication (e.g. declined to give credentials)."""

    default_code = virErrorNumber.VIR_ERR_AUTH_CANCELLED


class CallTimeoutError(Error):
    """A call's deadline passed before its reply arrived."""

    default_code = virErrorNumber.VIR_ERR_OPERATION_TIMEOUT
    default_domain = virErrorDomain.VIR_FROM_RPC
