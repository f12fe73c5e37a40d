# Generated from virtwire/api/_async/connection_domains.py by scripts/unasync.py -- do not edit.
"""Connection methods about domains (define, create, look up, list, save images, stats)."""

from __future__ import annotations

import dataclasses
import functools
import uuid as _uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from virtwire.api._sync.base import Caller
from virtwire.errors import Error
from virtwire.protocol import remote_gen as r
from virtwire.protocol.lookup import procedure

if TYPE_CHECKING:
    from virtwire.api._sync.domain import Domain



def _uuid_bytes(value: str | bytes) -> bytes:
    """A UUID given as 16 raw bytes or as a 32/36-character string, as raw bytes."""
    if isinstance(value, bytes) and len(value) == 16:
        return value
    text = value.decode() if isinstance(value, bytes) else value
    try:
        return _uuid.UUID(text).bytes
    except ValueError:
        raise Error(
            f"invalid argument: uuid {text!r} is not a valid UUID",
            code=Error.ERR_INVALID_ARG,
            domain=Error.FROM_DOMAIN,
        ) from None



@functools.cache
def _domain_class() -> type[Domain]:
    """The Domain class, imported once on first use."""
    from virtwire.api._sync.domain import Domain

    return Domain


@functools.cache
def _stats_procedure() -> Any:
    return procedure("REMOTE_PROC_CONNECT_GET_ALL_DOMAIN_STATS")


@functools.cache
def _stats_unpacker() -> Any:
    """Decodes a stats reply straight into ``get_all_domain_stats``'s result."""
    from virtwire.api.typed_params import unpack_domain_stats_ret

    return unpack_domain_stats_ret


class DomainMethods(Caller):
    """Connection methods about domains (define, create, look up, list, save images, stats)."""

    __slots__ = ()

    def _domain(self, ref: Any) -> Domain:
        conn: Any = self
        return _domain_class()(conn, ref)

    # ------------------------------------------------------------------ create, define

    def create_domain(self, xml: str, flags: int = 0) -> Domain:
        """Create and start a transient domain from ``xml``."""
        args = r.remote_domain_create_xml_args(xml_desc=xml, flags=flags)
        return self._domain((self.call("domain_create_xml", args)).dom)

    def create_domain_with_files(
        self, xml: str, fds: Sequence[int], flags: int = 0
    ) -> Domain:
        """Create and start a domain from ``xml``, passing ``fds`` to its init process."""
        args = r.remote_domain_create_xml_with_files_args(xml_desc=xml, flags=flags)
        ret = self.call("domain_create_xml_with_files", args, fds=list(fds))
        if isinstance(ret, tuple):
            ret = ret[0]
        return self._domain(ret.dom)

    def define_domain(self, xml: str, flags: int = 0) -> Domain:
        """Define (without starting) a persistent domain from ``xml``."""
        if flags:
            args = r.remote_domain_define_xml_flags_args(xml=xml, flags=flags)
            ret = self.call("domain_define_xml_flags", args)
        else:
            ret = self.call("domain_define_xml", r.remote_domain_define_xml_args(xml=xml))
        return self._domain(ret.dom)

    # ------------------------------------------------------------------ list

    def num_of_domains(self) -> int:
        """The number of running domains."""
        return int((self.call("connect_num_of_domains")).num)

    def list_domain_ids(self, maxids: int | None = None) -> list[int]:
        """Ids of running domains (at most ``maxids``; None: all)."""
        if maxids is None:
            maxids = self.num_of_domains()
        args = r.remote_connect_list_domains_args(maxids=maxids)
        return [int(i) for i in (self.call("connect_list_domains", args)).ids]

    def list_domains(self) -> list[Domain]:
        """Running domains, one lookup per id (see :meth:`list_all_domains`)."""
        out = []
        for dom_id in self.list_domain_ids(self.num_of_domains()):
            try:
                out.append(self.get_domain_by_id(dom_id))
            except Error:
                continue
        return out

    def num_of_defined_domains(self) -> int:
        """The number of defined, inactive domains."""
        return int((self.call("connect_num_of_defined_domains")).num)

    def list_defined_domain_names(self, maxnames: int | None = None) -> list[str]:
        """Names of defined, inactive domains (at most ``maxnames``; None: all)."""
        if maxnames is None:
            maxnames = self.num_of_defined_domains()
        args = r.remote_connect_list_defined_domains_args(maxnames=maxnames)
        return [str(n) for n in (self.call("connect_list_defined_domains", args)).names]

    def list_defined_domains(self) -> list[Domain]:
        """Defined, inactive domains, one lookup per name (see :meth:`list_all_domains`)."""
        out = []
        for name in self.list_defined_domain_names(self.num_of_defined_domains()):
            try:
                out.append(self.get_domain_by_name(name))
            except Error:
                continue
        return out

    def list_all_domains(self, flags: int = 0) -> list[Domain]:
        """Every domain matching the ``LIST_*`` ``flags``, in one call."""
        args = r.remote_connect_list_all_domains_args(need_results=1, flags=flags)
        ret = self.call("connect_list_all_domains", args)
        return [self._domain(d) for d in ret.domains]

    # ------------------------------------------------------------------ look up

    def get_domain_by_name(self, name: str) -> Domain:
        """The domain called ``name``."""
        args = r.remote_domain_lookup_by_name_args(name=name)
        return self._domain((self.call("domain_lookup_by_name", args)).dom)

    def get_domain_by_id(self, id: int) -> Domain:
        """The running domain with id ``id``."""
        args = r.remote_domain_lookup_by_id_args(id=id)
        return self._domain((self.call("domain_lookup_by_id", args)).dom)

    def get_domain_by_uuid(self, uuid: str | bytes) -> Domain:
        """The domain with ``uuid`` (16 raw bytes, or 32/36 hex characters)."""
        args = r.remote_domain_lookup_by_uuid_args(uuid=_uuid_bytes(uuid))
        return self._domain((self.call("domain_lookup_by_uuid", args)).dom)

    def get_domain_by_uuid_string(self, uuid: str) -> Domain:
        """The domain with the printable ``uuid``."""
        return self.get_domain_by_uuid(uuid)

    # ------------------------------------------------------------------ save images

    def restore_domain(
        self,
        savefile: str,
        dxml: str | None = None,
        params: Mapping[str, Any] | None = None,
        flags: int = 0,
    ) -> None:
        """Start a domain from the save file ``savefile``."""
        if params:
            from virtwire.api.typed_params import SAVE_PARAM_TYPES, pack_typed_params

            values = dict(params)
            values.setdefault("file", savefile)
            if dxml is not None:
                values.setdefault("dxml", dxml)
            packed = pack_typed_params(values, SAVE_PARAM_TYPES)
            args = r.remote_domain_restore_params_args(params=packed, flags=flags)
            self.call("domain_restore_params", args)
        elif dxml is not None or flags:
            self.call(
                "domain_restore_flags",
                r.remote_domain_restore_flags_args(from_=savefile, dxml=dxml, flags=flags),
            )
        else:
            self.call("domain_restore", r.remote_domain_restore_args(from_=savefile))

    def get_save_image_xml_description(self, file: str, flags: int = 0) -> str:
        """The domain XML stored in the save image ``file``."""
        args = r.remote_domain_save_image_get_xml_desc_args(file=file, flags=flags)
        return str((self.call("domain_save_image_get_xml_desc", args)).xml)

    def define_save_image_xml(self, file: str, dxml: str, flags: int = 0) -> None:
        """Replace the domain XML stored in the save image ``file``."""
        args = r.remote_domain_save_image_define_xml_args(file=file, dxml=dxml, flags=flags)
        self.call("domain_save_image_define_xml", args)

    def save_image_get_xml_description(self, file: str, flags: int = 0) -> str:
        """Alias of :meth:`get_save_image_xml_description`."""
        return self.get_save_image_xml_description(file, flags)

    def save_image_define_xml(self, file: str, dxml: str, flags: int = 0) -> None:
        """Alias of :meth:`define_save_image_xml`."""
        self.define_save_image_xml(file, dxml, flags)

    # ------------------------------------------------------------------ native formats

    def domain_xml_from_native(self, format: str, config: str, flags: int = 0) -> str:
        """Domain XML from a hypervisor-native configuration."""
        args = r.remote_connect_domain_xml_from_native_args(
            nativeFormat=format, nativeConfig=config, flags=flags
        )
        return str((self.call("connect_domain_xml_from_native", args)).domainXml)

    def domain_xml_to_native(self, format: str, xml: str, flags: int = 0) -> str:
        """A hypervisor-native configuration from domain XML."""
        args = r.remote_connect_domain_xml_to_native_args(
            nativeFormat=format, domainXml=xml, flags=flags
        )
        return str((self.call("connect_domain_xml_to_native", args)).nativeConfig)

    # ------------------------------------------------------------------ statistics

    def get_all_domain_stats(
        self, stats: int, doms: Sequence[Domain] | None = None, flags: int = 0
    ) -> list[dict[str, Any]]:
        """``[{"dom": Domain, "data": {...}}]`` of the ``STATS_*`` groups in ``stats``.

        ``doms`` limits the result to those domains; None asks for every domain.
        """
        refs = [d.ref for d in doms] if doms else []
        args = r.remote_connect_get_all_domain_stats_args(doms=refs, stats=stats, flags=flags)
        conn: Any = self
        unpack = functools.partial(
            _stats_unpacker(), wrap=functools.partial(_domain_class(), conn)
        )
        result: list[dict[str, Any]] = self.call(
            dataclasses.replace(_stats_procedure(), unpack_ret=unpack), args
        )
        return result
