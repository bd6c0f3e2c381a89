"""Which URLs a source may fetch: http(s) only, on its own hosts, never a private address it does not itself use."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


def _ip_of(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a literal host names, including legacy IPv4 spellings (`2130706433`, `0x7f.1`) resolvers accept."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefx." for c in host) and any(c.isdigit() for c in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _is_internal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_reserved or ip.is_multicast


def _split_entry(entry: str) -> tuple[str, int | None]:
    """`host` or `host:port` (IPv6 as `[::1]:8080`) -> (host, port or None)."""
    entry = entry.strip().lower()
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
    if entry.count(":") == 1:
        host, _, port = entry.partition(":")
        if port.isdigit():
            return host, int(port)
    return entry, None


@dataclass
class HostPolicy:
    """The hosts one source may fetch from, built from its listing URLs and allowed_domains."""

    allowed: list[tuple[str, int | None]]  # (domain, None) allows subdomains on any port; (host, port) is exact
    own: set[tuple[str, int]] = field(default_factory=set)  # exact (host, effective port) of its listings

    @classmethod
    def for_source(cls, listing_urls: list[str], allowed_domains: list[str]) -> HostPolicy:
        allowed = [_split_entry(e) for e in allowed_domains]
        own: set[tuple[str, int]] = set()
        for url in listing_urls:
            parts = urlsplit(url)
            if parts.hostname:
                own.add((parts.hostname.lower(), parts.port or DEFAULT_PORTS.get(parts.scheme, 0)))
        return cls(allowed, own)

    def _is_own(self, host: str, port: int) -> bool:
        if (host, port) in self.own:
            return True
        return any(h == host and (p is None or p == port) for h, p in self.allowed)

    def _is_allowed(self, host: str, port: int) -> bool:
        for h, p in self.allowed:
            if p is not None:
                if host == h and port == p:
                    return True
            elif host == h or host.endswith("." + h):
                return True
        return False

    def refusal(self, url: str) -> str | None:
        """Why this source must not fetch `url` (one line), or None when it may."""
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            return f"malformed URL {url[:100]!r}"
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            return f"unsupported scheme {scheme or '(none)'}"
        host = (parts.hostname or "").rstrip(".")
        if not host:
            return "no host in URL"
        effective = port or DEFAULT_PORTS[scheme]
        bracketed = f"[{host}]" if ":" in host else host
        shown = f"{bracketed}:{port}" if port else host
        ip = _ip_of(host)
        if ip is not None and _is_internal(ip) and not self._is_own(host, effective):
            return f"private address {shown}"
        if not self._is_allowed(host, effective):
            return f"offsite host {shown}"
        return None

    def redirect_refusal(self, url: str) -> str | None:
        """The same check for a redirect target, worded as a redirect."""
        reason = self.refusal(url)
        return f"redirect to {reason}" if reason else None
