"""``MeshNode``: this kiosk's place in the LAN mesh of its event.

Threads (all daemon, all stopped by ``stop()``):

- *listener*: accepts links; a handshake that fails is hung up on without a word;
- *dialler*: every ``dial_interval_s`` dials the addresses it knows (static list, the LAN
  addresses the manifest carries, zeroconf) that no link covers yet, with a back-off per
  address; closes links to peers the manifest has since revoked;
- *signer*: woken by ``notify()`` (the engine calls it for each durable scan) or every
  half second (scans made by another process), signs this kiosk's new scans, logs them
  with their per-device sequence numbers and pushes them to every link at once;
- per link, a *reader* (verifies and records what arrives; never blocks on sending) and a
  *writer* (pushes, catch-up batches, and a ``have`` every ``have_interval_s`` so links
  catch up on what a third kiosk relayed).

Every envelope is verified (``core.mesh_scan.check_envelope``: event, shape, the origin's
certified and active key, signature) before it touches the store; refused envelopes are
counted by reason (``refusals``) and never stored. A message of a kind the mesh does not
know (say, one offering a ticket) ends the link: nothing arriving over the LAN can add a
ticket, key or staff member. Memory is bounded (one frame at a time, ``MAX_FRAME``, a
bounded send queue per link: a peer too slow to drain it is dropped and catches up when it
comes back) and so is the rate (``rate_per_s`` scans a second per link, a token bucket:
a flooding peer is slowed down, the door is not).

The door goes first: while a door transaction waits or runs, readers stop verifying and the
recorder commits after the scan in hand (``Store.wait_for_door``, ``Store.door_waiting``;
peer scans are written on the mesh's own journal connection, ``Store.peer_transaction``),
so a catch-up of thousands of scans never makes a verdict queue behind it.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import queue
import shutil
import socket
import sqlite3
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from core.config_values import host_port
from core.keys import SigningKey, VerifyKey
from core.mesh_scan import MAX_ID, MeshScanError, SignedScan, check_envelope, sign_scan
from local_db import mesh_log, unproven
from local_db.store import Store, is_disk_failure, is_locked
from sync.mesh.channel import MAX_FRAME, Channel, ChannelClosed, HandshakeRefused, accept, dial

log = logging.getLogger(__name__)

MAX_SCANS_PER_MESSAGE = 1000
MAX_HAVE_ENTRIES = 10_000
MAX_REFUSED_ORIGINS = 64  # origins named in a "have" as refused (see _refused_origins)
SEND_QUEUE = 256  # messages waiting per link; beyond this the link is dropped
# Connections not yet authenticated (the handshake pool; established links are not in it,
# and the handshakes this kiosk dials out are not either, so a flood of inbound
# connections never stops it from linking outwards):
MAX_HANDSHAKES = 32  # in progress at once, from every address together
MAX_PENDING_PER_ADDRESS = 4  # in progress at once from one source address
# Handshakes kept for addresses the kiosk already knows as a peer's (its static list, the
# LAN addresses the server saw its certified devices at), outside the pool of 32: strangers
# flooding from many addresses cannot keep a known gate out.
KNOWN_RESERVE = 8
# New connections per source address: a bucket of this many, refilled at this rate; a
# handshake that proves a certified device gives its token back, so only strangers pay.
CONNECT_BURST = 8
CONNECT_RATE_PER_S = 2.0
MAX_CANDIDATES = 64  # addresses dialled (a flood of fake mDNS answers must not spawn more)
# How long one thread runs Python before another waiting one gets the interpreter (the GIL;
# Python's default is 5 ms). Verifying a catch-up is CPU work in Python: at 5 ms, each of
# the door's disk reads and writes could wait 5 ms to resume. Set when a mesh starts.
SWITCH_INTERVAL_S = 0.001
CONTACT_SAVE_S = 1.0  # the peers' last contact is saved for ``gatehouse status`` this often
# A kiosk restored from an old backup (or whose journal lost its tail) must not sign new
# scans with sequence numbers its peers already hold (they would keep the old envelopes and
# never take the new ones): after starting, its signer waits up to this long for a peer's
# "have", and while peers say they hold more of this kiosk's scans than its log does, it
# waits for them to come back, at most this long after start or after the last of them
# arrived (see _may_sign; numbers it signed meanwhile are mended: _mend_fork).
OWN_WAIT_S = 3.0
# "yours" entries in a "have" at most (mesh_log.tips sends about log2 of the log's size)
MAX_YOURS = 64
# A peer found to number scans twice is shown ours of it at most this often (_show_forks)
FORK_SHOW_S = 2.0
# When this kiosk's journal refuses peers' scans (a full or failing disk), the links stay
# up and the peers are asked for what is missing again after this long, twice as long
# after each refusal in a row, at most RECORD_RETRY_MAX_S. Until then no "have" goes out
# and scans arriving are dropped unread: each "have" makes a peer resend its whole
# catch-up, and reconnecting at every batch cost both doors (see _not_recorded).
RECORD_RETRY_S = 1.0
RECORD_RETRY_MAX_S = 30.0
RETRY_GRACE_S = 1.0  # (at once, the links' idle "have" and the retry's both went out)


@dataclass(frozen=True)
class MeshConfig:
    enabled: bool = True
    host: str = "0.0.0.0"
    port: int = 7447  # 0: any free port; a taken port falls back to any free one
    peers: tuple[str, ...] = ()  # static "host:port" list, for networks that block multicast
    zeroconf: bool = True
    dial_interval_s: float = 0.5
    have_interval_s: float = 5.0
    rate_per_s: float = 5000.0
    burst: float = 20000.0
    # The journal's log file is grown to this size once (Store.reserve_journal_log), so a
    # catch-up of 10,000 scans never makes a door's commit lengthen the file; 0: never.
    log_reserve_mb: int = 256
    # Envelopes per catch-up message: parsing one holds the GIL throughout, so it is kept
    # small enough (~50 KB) that a door thread waiting for the GIL is not kept long.
    batch: int = 100


@dataclass
class _Bucket:
    """A token bucket of scans: ``burst`` at once, refilled at ``rate`` a second."""

    rate: float
    burst: float
    tokens: float = 0.0
    at: float = field(default_factory=time.monotonic)

    def take(self, n: int) -> float:
        """Take ``n`` scans; how long to wait before they go (0: at once; at most 5 s)."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate) - n
        self.at = now
        return 0.0 if self.tokens >= 0 else min(-self.tokens / self.rate, 5.0)


@dataclass
class _Link:
    channel: Channel
    node: MeshNode
    queue: queue.Queue = field(default_factory=lambda: queue.Queue(SEND_QUEUE))
    last_contact: float = field(default_factory=time.time)
    received: _Bucket | None = None  # scans it sends us (_throttle)
    sent: _Bucket | None = None  # scans its catch-ups are sent (_pace)
    # the catch-up queued and not begun: (their "have", origins they refuse); a second
    # "have" meanwhile is merged into it (see _handle), never queued as a second one
    pending: tuple[dict, frozenset] | None = None
    pending_lock: threading.Lock = field(default_factory=threading.Lock)
    asked_own: int = 0  # the highest claim of ours this link was asked to prove
    # while set, its "have"s ask for our own scans from this number (see _handle)
    ask_from: int | None = None
    yours_seen: tuple = ()  # the last "yours" it sent that was checked (_check_yours)

    @property
    def peer(self) -> str:
        return self.channel.peer


class MeshNode:
    def __init__(
        self,
        store: Store,
        key: SigningKey,
        config: MeshConfig | None = None,
        *,
        discovered: Callable[[], list[str]] | None = None,
        on_scans: Callable[[int], None] | None = None,
        on_links: Callable[[], None] | None = None,
    ):
        state = store.device_state()
        if not state.paired or state.event_id is None:
            raise ValueError("the LAN mesh needs a paired kiosk")
        self.store = store
        self.key = key
        self.config = config or MeshConfig()
        self.me = store.device_id()
        self.event_id = int(state.event_id)
        self.discovered = discovered or (lambda: [])
        self.on_scans = on_scans
        self.on_links = on_links  # a link came or went (the status strip's count)
        self.refusals: Counter[str] = Counter()
        self.received = 0  # peer scans recorded here
        self._links: dict[str, _Link] = {}
        self._links_lock = threading.Lock()
        self._dialling: set[str] = set()
        self._address_peer: dict[str, str] = {}  # dialled address -> the device found there
        # accepted connections still in their handshake, oldest first:
        # ticket -> (source address, socket, in the reserve for known addresses)
        self._pending: dict[int, tuple[str, socket.socket, bool]] = {}
        self._tickets = itertools.count(1)
        self._connect_tokens: dict[str, tuple[float, float]] = {}  # address -> (tokens, at)
        self._backoff: dict[str, tuple[float, float]] = {}  # address -> (retry at, delay)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._sign_lock = threading.Lock()
        self._own_lock = threading.Lock()  # our own envelopes coming back (accept_envelopes)
        self._threads: list[threading.Thread] = []
        self._peers_cache: tuple[tuple[int, frozenset[str]], dict[str, mesh_log.Peer]] | None = None
        # Origins whose envelopes this kiosk refused as not trusted (unknown to its list, or
        # revoked), newest last: named in each "have" so peers stop resending them (a "have"
        # stops at the first gap, so without this a peer resends all it holds every 5 s).
        self._refused_origins: dict[str, None] = {}
        self._listener: socket.socket | None = None
        self._contact_saved = 0.0  # monotonic time the links (and last contacts) were saved
        self._save_lock = threading.Lock()  # one save at a time: a stale list never wins
        self._checkpointing = threading.Lock()  # one journal checkpoint thread at a time
        self._last_peer_scan = 0.0  # monotonic time new peer scans were last recorded
        self._batches_in_hand = 0  # peers' batches recording new scans right now
        self._copied_through: bytes | None = None  # the log's version when wholly copied
        self._batches_lock = threading.Lock()
        self._started = time.monotonic()
        self._heard_have = False  # a peer's "have" arrived since start
        # our own sequence numbers: the highest a peer said it holds (and when), and the
        # highest a peer proved it holds by sending the envelope back (signature checked)
        self._own_claim = 0
        self._own_seen = 0
        self._own_proof_at = float("-inf")  # monotonic time the last such envelope came
        self._start_top = 0  # how far our own numbers went when this node started
        self.catchups_paced = 0  # catch-up batches held back for a link's rate (_pace)
        self._fork_shown: dict[str, float] = {}  # peer -> when its fork was last shown to it
        self.forks_mended = 0  # own numbers found signed twice (after a restore) and mended
        self.checkpoints = 0  # journal checkpoints done for the door and the peers
        # peers' batches the journal refused (a full or failing disk); the time of the first
        # refusal of the present spell, when to ask the peers again, the next delay
        self.not_recorded = 0
        self.dropped_unread = 0  # peers' batches dropped unread while waiting to ask again
        self._record_failing: float | None = None
        self._last_refusal = 0.0
        self._record_retry_at: float | None = None
        self._record_delay = RECORD_RETRY_S
        self._record_lock = threading.Lock()
        self._links_unsaved = False  # the last save of the links failed (warned once)
        self._signing_failed = False  # the last signing of our own scans failed (warned once)
        self.reserved = threading.Event()  # the journal's log file has its reserve
        self.port = 0

    # -- life cycle ------------------------------------------------------------------------
    def start(self) -> MeshNode:
        if sys.getswitchinterval() > SWITCH_INTERVAL_S:
            sys.setswitchinterval(SWITCH_INTERVAL_S)
        # the mesh checkpoints the journal for the door too: no door commit stops to do it
        self.store.mesh_checkpoints(True)
        self._started = time.monotonic()
        self._start_top = self._own_top()
        self._listener = self._bind()
        self.port = self._listener.getsockname()[1]
        for target, name in (
            (self._accept_loop, "mesh-listen"),
            (self._dial_loop, "mesh-dial"),
            (self._sign_loop, "mesh-sign"),
            (self._reserve_log, "mesh-reserve"),
        ):
            self._spawn(target, name)
        return self

    def _bind(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.config.host, self.config.port))
        except OSError:
            sock.bind((self.config.host, 0))  # the usual port is taken: any free one
        sock.listen(64)
        sock.settimeout(0.5)
        return sock

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._listener is not None:
            self._listener.close()
        with self._links_lock:
            links = list(self._links.values())
            self._links.clear()
        for link in links:
            self._drop(link)
        if links:
            self._save_links()  # status must not list links that are gone (none left now)
        for t in self._threads:
            if t is not threading.current_thread():
                t.join(timeout=5)
        try:
            self.store.mesh_checkpoints(False)  # the door's commits checkpoint again
        except Exception:  # a closed store: nothing left to checkpoint for
            log.debug("mesh: could not hand checkpoints back to the door", exc_info=True)

    def _reserve_log(self) -> None:
        """Grow the journal's log file to its reserve (once per kiosk; see
        ``Store.reserve_journal_log``), if the disk has room for it and a gigabyte more."""
        size = self.config.log_reserve_mb << 20
        try:
            if size > 0 and shutil.disk_usage(self.store.journal_path.parent).free > size + (
                1 << 30
            ):
                added = self.store.reserve_journal_log(size)
                if added:
                    log.info("mesh: reserved %d MB for the scan journal's log", added >> 20)
        except OSError:
            # the door works without it; its commits may only wait longer during a catch-up
            log.warning("mesh: could not reserve the scan journal's log", exc_info=True)
        finally:
            self.reserved.set()

    def _spawn(self, target: Callable, name: str, *args) -> threading.Thread:
        t = threading.Thread(target=target, args=args, name=name, daemon=True)
        t.start()
        self._threads = [x for x in self._threads if x.is_alive()] + [t]
        return t

    # -- what the rest of the kiosk sees ---------------------------------------------------
    def notify(self) -> None:
        """A scan was just made durable: sign it and push it now."""
        self._wake.set()

    def linked(self) -> list[str]:
        with self._links_lock:
            return sorted(self._links)

    def links(self) -> list[dict]:
        peers = self.peers()
        with self._links_lock:
            return [
                {
                    "device_id": d,
                    "gate": peers[d].gate if d in peers else None,
                    "address": link.channel.address,
                    "last_contact": round(link.last_contact, 3),
                }
                for d, link in sorted(self._links.items())
            ]

    def addresses(self) -> list[str]:
        """Where this kiosk listens, as peers should dial it (reported to the server)."""
        host = self.config.host
        if host in ("0.0.0.0", ""):
            host = _lan_ip(self.store.device_state().server)
        return [f"{host}:{self.port}"]

    # -- trust -----------------------------------------------------------------------------
    def peers(self) -> dict[str, mesh_log.Peer]:
        # the main file's version (a manifest page) and the gates a supervisor stopped
        # trusting here (the journal, perhaps changed by `gatehouse gates` elsewhere)
        version = (mesh_log.data_version(self.store), mesh_log.distrusted_ids(self.store))
        cached = self._peers_cache
        if cached is None or cached[0] != version:
            cached = (version, mesh_log.peers(self.store, version[1]))
            self._peers_cache = cached
        return cached[1]

    def trusted_key(self, device: str) -> VerifyKey | None:
        peer = self.peers().get(device)
        if peer is None or peer.status != "active":
            return None
        return peer.key

    # -- links -----------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                sock, addr = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            ticket = self._admit(sock, addr[0])
            if ticket is None:
                sock.close()
                continue
            self._spawn(self._handshake, "mesh-accept", sock, f"{addr[0]}:{addr[1]}", ticket)

    def _admit(self, sock: socket.socket, host: str) -> int | None:
        """Room in the handshake pool for a connection from ``host``, or None (refused).

        One address gets at most MAX_PENDING_PER_ADDRESS handshakes at once and
        CONNECT_BURST new ones (refilled at CONNECT_RATE_PER_S). An address the kiosk knows
        as a peer's (``known_hosts``) first takes one of KNOWN_RESERVE slots of its own.
        When the pool of MAX_HANDSHAKES is full, a newcomer takes a slot: the oldest of the
        greediest address if that address holds more than the newcomer, else the oldest of
        all. A real kiosk's handshake takes milliseconds, a stalled stranger's holds its slot
        until others arrive: so strangers from many addresses (each holding one slot) cannot
        keep a gate that is still unknown here out either, only slow it by a retry."""
        now = time.monotonic()
        known = host in self.known_hosts()
        victim = None
        with self._links_lock:
            tokens, at = self._connect_tokens.get(host, (CONNECT_BURST, now))
            tokens = min(CONNECT_BURST, tokens + (now - at) * CONNECT_RATE_PER_S)
            held = Counter(h for h, _, _ in self._pending.values())
            if tokens < 1 or held[host] >= MAX_PENDING_PER_ADDRESS:
                self._connect_tokens[host] = (tokens, now)
                self.refusals["busy"] += 1
                return None
            reserved = known and sum(r for _, _, r in self._pending.values()) < KNOWN_RESERVE
            pool = [(k, h) for k, (h, _, r) in self._pending.items() if not r]  # oldest first
            if not reserved and len(pool) >= MAX_HANDSHAKES:
                greedy, most = Counter(h for _, h in pool).most_common(1)[0]
                if most > held[host] + 1:
                    oldest = next(k for k, h in pool if h == greedy)
                else:
                    oldest = pool[0][0]
                victim = self._pending.pop(oldest)[1]
                self.refusals["evicted"] += 1
            self._connect_tokens[host] = (tokens - 1, now)
            if len(self._connect_tokens) > 4 * MAX_HANDSHAKES:  # bounded memory
                full = [
                    h
                    for h, (t, a) in self._connect_tokens.items()
                    if h != host and t + (now - a) * CONNECT_RATE_PER_S >= CONNECT_BURST
                ]
                for h in full:
                    del self._connect_tokens[h]
            ticket = next(self._tickets)
            self._pending[ticket] = (host, sock, reserved)
        if victim is not None:
            try:
                victim.shutdown(socket.SHUT_RDWR)  # its handshake thread sees the end and quits
            except OSError:
                pass
        return ticket

    def known_hosts(self) -> frozenset[str]:
        """Hosts this kiosk knows as its peers': its static list and the LAN addresses the
        server saw its certified devices at (not mDNS answers: anyone on the LAN can make
        those up)."""
        addresses = list(self.config.peers)
        for peer in self.peers().values():
            if peer.status == "active" and peer.device_id != self.me:
                addresses.extend(peer.lan)
        return frozenset(a[0] for a in map(host_port, addresses) if a is not None)

    def _handshake(
        self, sock: socket.socket, address: str, ticket: int | None, dialled: bool = False
    ) -> None:
        try:
            linked = self._shake(sock, address, dialled)
        finally:
            if ticket is not None:
                with self._links_lock:
                    self._pending.pop(ticket, None)
        if linked and not dialled:  # a certified device: its connection costs it nothing
            host = address.rpartition(":")[0]
            with self._links_lock:
                tokens, at = self._connect_tokens.get(host, (CONNECT_BURST, time.monotonic()))
                self._connect_tokens[host] = (min(CONNECT_BURST, tokens + 1), at)

    def _shake(self, sock: socket.socket, address: str, dialled: bool) -> bool:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        run = dial if dialled else accept
        try:
            channel = run(
                sock,
                me=self.me,
                event_id=self.event_id,
                key=self.key,
                trust=self.trusted_key,
                address=address,
            )
        except (ChannelClosed, OSError) as exc:
            if isinstance(exc, HandshakeRefused):
                self.refusals["handshake"] += 1
            log.debug("mesh handshake with %s failed: %s", address, exc)
            sock.close()
            if dialled:
                self._failed(address)
                self._dialling.discard(address)
            return False
        if dialled:
            self._backoff.pop(address, None)
            self._address_peer[address] = channel.peer
        self._register(channel)
        if dialled:
            self._dialling.discard(address)
        return True

    def _register(self, channel: Channel) -> None:
        rate, burst = self.config.rate_per_s, self.config.burst
        link = _Link(
            channel, self, received=_Bucket(rate, burst, burst), sent=_Bucket(rate, burst, burst)
        )
        with self._links_lock:
            if self._stop.is_set():
                channel.close()
                return
            old = self._links.get(channel.peer)
            if old is not None and not old.channel.closed:
                # Two links to one peer (both dialled at once): both sides keep the one the
                # smaller device id dialled; a re-dial by the same side replaces the old one.
                keep_new = old.channel.initiator == channel.initiator or (
                    channel.initiator == min(self.me, channel.peer)
                )
                if not keep_new:
                    channel.close()
                    return
                old.channel.close()
            self._links[channel.peer] = link
        self._spawn(self._read_loop, f"mesh-read-{channel.peer[:8]}", link)
        self._spawn(self._write_loop, f"mesh-write-{channel.peer[:8]}", link)
        self._persist_links()

    def _drop(self, link: _Link) -> None:
        link.channel.close()
        try:
            link.queue.put_nowait(("stop", None))  # wake its writer now, not at its timeout
        except queue.Full:
            pass  # the writer is busy and sees the closed channel at its next message
        with self._links_lock:
            if self._links.get(link.peer) is link:
                del self._links[link.peer]
            else:
                return
        self._persist_links()

    def _persist_links(self) -> None:
        """``gatehouse status`` (another process) lists peers and their last contact."""
        self._contact_saved = time.monotonic()
        if self.on_links is not None:
            try:
                self.on_links()
            except Exception:
                log.exception("mesh: a links listener failed")
        self._save_links()

    def _contact(self) -> None:
        """A message arrived: ``gatehouse status`` shows it as the peer's last contact. Saved
        at most once a second (a small file, no store lock): fresh, and cheap in a flood."""
        now = time.monotonic()
        if now - self._contact_saved >= CONTACT_SAVE_S:
            self._contact_saved = now
            self._save_links()

    def _save_links(self) -> None:
        with self._save_lock:
            try:
                mesh_log.save_links(self.store, self.links())
            except Exception as exc:  # a full disk must not take the mesh down
                if not self._links_unsaved:  # once, not at every contact while it lasts
                    log.warning("could not record mesh links: %s", exc)
                self._links_unsaved = True
            else:
                if self._links_unsaved:
                    log.info("mesh links recorded again")
                self._links_unsaved = False

    def _failed(self, address: str) -> None:
        _, delay = self._backoff.get(address, (0.0, 0.25))
        self._backoff[address] = (time.monotonic() + delay, min(delay * 2, 5.0))

    def candidates(self) -> list[str]:
        out = list(self.config.peers)
        for peer in self.peers().values():
            if peer.status == "active" and peer.device_id != self.me:
                out.extend(peer.lan)
        out.extend(self.discovered())
        mine = {f"{h}:{self.port}" for h in ("127.0.0.1", "localhost", *self._own_hosts())}
        seen, result = set(), []
        for a in out:
            if a not in seen and a not in mine and host_port(a) is not None:
                seen.add(a)
                result.append(a)
        return result[:MAX_CANDIDATES]  # static and certified addresses come first

    def _own_hosts(self) -> list[str]:
        return [a.rpartition(":")[0] for a in self.addresses()]

    def _dial_loop(self) -> None:
        last_persist = time.monotonic()
        while not self._stop.wait(self.config.dial_interval_s):
            with self._links_lock:
                links = list(self._links.values())
            covered = {link.channel.address for link in links}
            linked = {link.peer for link in links}
            for link in links:  # revoked since the link was made: hang up
                if self.trusted_key(link.peer) is None:
                    self.refusals["revoked"] += 1
                    self._drop(link)
            now = time.monotonic()
            for address in self.candidates():
                if address in covered or address in self._dialling:
                    continue
                if self._address_peer.get(address) in linked:
                    continue  # that peer is linked already (it dialled us)
                if self._backoff.get(address, (0.0, 0.0))[0] > now:
                    continue
                self._dialling.add(address)
                self._spawn(self._dial, f"mesh-dial-{address}", address)
            if now - last_persist > 30:
                last_persist = now
                self._persist_links()

    def _dial(self, address: str) -> None:
        host, port = host_port(address)
        try:
            sock = socket.create_connection((host, port), timeout=2.0)
        except OSError:
            self._dialling.discard(address)
            self._failed(address)
            return
        self._handshake(sock, address, None, True)

    # -- sending ---------------------------------------------------------------------------
    def _enqueue(self, link: _Link, item: tuple) -> None:
        try:
            link.queue.put_nowait(item)
        except queue.Full:
            log.info("mesh peer %s is not keeping up: link dropped", link.peer[:8])
            self._drop(link)

    def _write_loop(self, link: _Link) -> None:
        try:
            self._send_have(link)
            while not self._stop.is_set() and not link.channel.closed:
                try:
                    kind, payload = link.queue.get(timeout=self.config.have_interval_s)
                except queue.Empty:
                    if not self._waiting_to_ask_again():  # (then the retry asks)
                        self._send_have(link)
                    continue
                if kind == "stop":
                    return
                if kind == "raw":
                    link.channel.send_raw(payload)
                elif kind == "have":
                    self._send_have(link)
                elif kind == "catchup":
                    with link.pending_lock:  # a "have" arriving from now on is answered
                        (theirs, refuse), link.pending = link.pending, None
                    batches = mesh_log.missing_for(self.store, theirs, self.config.batch, refuse)
                    for batch in batches:
                        if self._stop.is_set() or link.channel.closed:
                            return
                        self._pace(link, len(batch))
                        self.store.wait_for_door()
                        link.channel.send_raw(_scans_message(batch))
        except (ChannelClosed, OSError, ValueError) as exc:
            log.debug("mesh link to %s ended: %s", link.peer[:8], exc)
        finally:
            self._drop(link)

    def _send_have(self, link: _Link) -> None:
        have = mesh_log.have(self.store)
        if link.ask_from is not None:  # our own again from there (a restore: see _handle)
            have[self.me] = min(have.get(self.me, 0), link.ask_from)
        message: dict = {"t": "have", "have": have}
        # what we hold of the peer's own numbering, for it to compare (_check_yours)
        yours = mesh_log.tips(self.store, link.peer, have.get(link.peer, 0))
        if yours:
            message["yours"] = yours
        active = {d for d, p in self.peers().items() if p.status == "active"}
        # a device certified since (this kiosk synced) is asked for again
        refused = [o for o in list(self._refused_origins) if o not in active]
        if refused:
            message["refuse"] = refused
        link.channel.send(message)

    def _push(self, envelopes: list[bytes]) -> None:
        message = _scans_message(envelopes)
        with self._links_lock:
            links = list(self._links.values())
        for link in links:
            self._enqueue(link, ("raw", message))

    def _sign_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(0.5)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                if self._may_sign():
                    self.sign_new_scans()
            except sqlite3.Error as exc:  # keep signing later: a locked or full disk passes
                if not self._signing_failed:  # once, not at every tick while it lasts
                    log.warning("mesh: cannot log this kiosk's scans for its peers yet: %s", exc)
                self._signing_failed = True
            except Exception:
                log.exception("mesh: signing this kiosk's scans failed")
            else:
                if self._signing_failed:
                    log.info("mesh: this kiosk's scans are logged for its peers again")
                self._signing_failed = False
            try:
                self._maybe_checkpoint()  # the door's own scans (woken by each of them)
                self._retry_recording()
            except Exception:  # the tick must go on: it asks again after refusals
                log.exception("mesh: the signer's tick failed")

    def _own_top(self) -> int:
        return mesh_log.next_own_lseq(self.store, self.me) - 1

    def _may_sign(self) -> bool:
        """Not in the first ``OWN_WAIT_S`` after start until a peer's "have" arrived; and
        while peers claim more of our scans than our log holds, not until they are back,
        for at most ``OWN_WAIT_S`` after start or after the last of them arrived (a peer
        that only claims, a liar, holds nothing back once the start is over). A kiosk alone
        on its LAN waits those seconds once; its scans only go to peers anyway."""
        now = time.monotonic()
        starting = now - self._started < OWN_WAIT_S
        if not self._heard_have and starting:
            return False
        if not (starting or now - self._own_proof_at < OWN_WAIT_S):
            return True
        return self._own_claim <= self._own_top()

    def sign_new_scans(self) -> int:
        """Sign, log and push this kiosk's scans not yet in the mesh log. Returns how many."""
        done = 0
        with self._sign_lock:
            while True:
                fresh = mesh_log.unsigned_own_scans(self.store, self.me, self.config.batch)
                if not fresh:
                    return done
                # past what peers proved they hold of ours: a log that lost its tail
                # must not reuse those numbers
                lseq = max(mesh_log.next_own_lseq(self.store, self.me), self._own_seen + 1)
                signed = []
                codes = mesh_log.credentials_of(self.store, [scan.scan_id for _, scan in fresh])
                for i, (n, scan) in enumerate(fresh):
                    code = codes.get(scan.scan_id)
                    s = sign_scan(self.key, self.event_id, self.me, lseq + i, scan, code)
                    wire = json.dumps(s.to_wire(), separators=(",", ":")).encode()
                    signed.append((n, s, wire))
                mesh_log.add_own(self.store, signed)
                self._push([w for _, _, w in signed])
                done += len(signed)

    # -- receiving -------------------------------------------------------------------------
    def _read_loop(self, link: _Link) -> None:
        try:
            while not self._stop.is_set():
                raw = link.channel.recv_raw()
                link.last_contact = time.time()
                self._contact()
                # parsing a batch is CPU work too: not while a door decides
                self.store.wait_for_door()
                try:
                    self._handle(link, raw)
                except sqlite3.Error as exc:  # our disk, not the peer: the link stays
                    self._not_recorded(exc)
        except ChannelClosed as exc:
            log.debug("mesh link to %s ended: %s", link.peer[:8], exc)
        except _ProtocolError as exc:
            self.refusals[exc.reason] += 1
            log.warning("mesh peer %s refused: %s", link.peer[:8], exc)
        finally:
            self._drop(link)

    def _handle(self, link: _Link, raw: bytes) -> None:
        try:
            message = json.loads(raw)
        except (ValueError, RecursionError):  # RecursionError: nested thousands deep
            raise _ProtocolError("bad_format", "a message that is not JSON") from None
        if not isinstance(message, dict):
            raise _ProtocolError("bad_format", "a message that is not an object")
        kind = message.get("t")
        if kind == "have":
            theirs = message.get("have")
            refuse = message.get("refuse", [])
            if (
                not isinstance(theirs, dict)
                or len(theirs) > MAX_HAVE_ENTRIES
                or not all(type(v) is int and 0 <= v <= MAX_ID for v in theirs.values())
                or not isinstance(refuse, list)
                or len(refuse) > MAX_REFUSED_ORIGINS
                or not all(isinstance(o, str) and 0 < len(o) <= 64 for o in refuse)
            ):
                raise _ProtocolError("bad_format", "a garbled catch-up request")
            mine = theirs.get(self.me, 0)
            if mine > link.asked_own and mine > self._own_top():
                # The peer holds scans of ours our log lost (a restore): until the first
                # after where this node started comes back, every "have" asks for our own
                # from there, so numbers signed since then that peers hold too show up as a
                # fork (_mend_fork). This link is asked at once, once per claimed number.
                link.asked_own = mine
                self._own_claim = max(self._own_claim, mine)
                self._ask_own(link, self._start_top)
            self._check_yours(link, message.get("yours"))
            self._heard_have = True  # after the claim: the signer must not slip in between
            with link.pending_lock:
                queued = link.pending
                if queued is not None:
                    # One is queued already: a peer repeating "have" gets no more work, but
                    # what this one asks for beyond it is added (a kiosk restored from a
                    # backup asks again from lower numbers: see _send_have).
                    asked = queued[0]
                    merged = {o: min(asked.get(o, 0), theirs.get(o, 0)) for o in asked | theirs}
                    if len(merged) > MAX_HAVE_ENTRIES:
                        merged = theirs
                    link.pending = (merged, frozenset(refuse))
                    return
                link.pending = (theirs, frozenset(refuse))
            self._enqueue(link, ("catchup", None))
        elif kind == "scans":
            envelopes = message.get("scans")
            if not isinstance(envelopes, list) or len(envelopes) > MAX_SCANS_PER_MESSAGE:
                raise _ProtocolError("bad_format", "a garbled or oversized batch of scans")
            if self.trusted_key(link.peer) is None:
                raise _ProtocolError("revoked", "the peer is no longer trusted (revoked)")
            self._throttle(link, len(envelopes))
            if self._waiting_to_ask_again() and not any(
                isinstance(e, dict) and e.get("origin") == self.me for e in envelopes
            ):  # (our own coming back, after a restore, are always read: _take_own)
                self.dropped_unread += 1  # the journal refused the last: asked for again
                return
            self.accept_envelopes(envelopes, link)
        else:
            # Tickets, keys, staff or anything else: the LAN only ever carries scans.
            raise _ProtocolError("not_allowed", f"a message of kind {kind!r}: only scans")

    def accept_envelopes(self, envelopes: list, link: _Link | None = None) -> int:
        """Verify each envelope, record the good ones; refusals counted, never stored."""
        if any(isinstance(e, dict) and e.get("origin") == self.me for e in envelopes):
            # our own coming back: one batch at a time, each decided on a log that holds
            # the batches before it (a mend's peer copies, then another peer's old ones)
            with self._own_lock:
                return self._accept(envelopes, link)
        return self._accept(envelopes, link)

    @contextlib.contextmanager
    def _new_scans_in_hand(self) -> Iterator[Callable[[], None]]:
        """Gives the recorder a mark to set at a batch's first new scan, before it is
        committed: from then until the batch is done the peers are not quiet, however long
        ago their last batch was, so no checkpoint is decided beside the rest of its writes
        (CI caught the signer's tick deciding one there). A batch with nothing new (a
        replay, a flood of copies) sets no mark and holds no checkpoint back."""
        marked = False

        def mark() -> None:
            nonlocal marked
            if not marked:
                with self._batches_lock:
                    self._batches_in_hand += 1
                marked = True

        try:
            yield mark
        finally:
            if marked:
                with self._batches_lock:
                    self._batches_in_hand -= 1

    def _take_own(self, signed: SignedScan, link: _Link | None) -> bool:
        """Whether to log an envelope of our own a peer sent: only when our log lost it (a
        restore from an old backup, a lost log tail); then it is taken back like any
        peer's, and our next scans are numbered past it. Mends a fork it shows."""
        asked = link.ask_from if link is not None else None
        if asked is not None and signed.lseq == asked + 1:
            link.ask_from = None  # from here on this peer sends in order
        scan_id = signed.scan.scan_id
        held = mesh_log.own_scan_at(self.store, self.me, signed.lseq)
        if held is not None and held[0] == scan_id:
            return False  # one we hold: no loss
        elsewhere = mesh_log.own_number_of(self.store, self.me, scan_id)
        if elsewhere is not None:
            number, signed_here = elsewhere
            if number > signed.lseq or not signed_here:
                return False  # an older copy: the later number is the one that counts
            # we hold it under a lower number we signed: a mend since signed it again
            # later (we are restored from a copy older than that mend), so ours from
            # there are the abandoned branch
            self._note_own(signed.lseq)
            self._mend_fork(number)
            return True
        if held is None and mesh_log.journal_holds(self.store, scan_id):
            # a copy from a numbering of ours a mend abandoned: the journal has the scan
            # and the signer numbers it anew (docs/sync.md, "A kiosk restored...")
            return False
        self._note_own(signed.lseq)
        if held is not None and held[1]:
            self._mend_fork(signed.lseq)
        elif held is not None:
            return False  # two peers' copies differ (one took a fork): ours stays
        return True

    def _note_own(self, lseq: int) -> None:
        """Before a mend: the signer must not take this number again meanwhile, nor sign
        at all until the envelope is in the log (_may_sign)."""
        self._own_seen = max(self._own_seen, lseq)
        self._own_claim = max(self._own_claim, lseq)
        self._own_proof_at = time.monotonic()

    def _accept(self, envelopes: list, link: _Link | None) -> int:
        good = []
        active = {d: p.key for d, p in self.peers().items() if p.status == "active"}
        for env in envelopes:
            # Verifying is CPU work: while a door decides and records, this thread waits
            # (without the GIL), so the door's verdict does not queue behind a catch-up.
            self.store.wait_for_door()
            try:
                signed = check_envelope(env, event_id=self.event_id, device_key=active.get)
            except MeshScanError as exc:
                self.refusals[exc.reason] += 1
                if exc.reason == "unknown_device" and isinstance(env, dict):
                    self._refuse_origin(env["origin"])
                continue
            if signed.origin == self.me and not self._take_own(signed, link):
                continue
            wire = json.dumps(env, separators=(",", ":"), ensure_ascii=False).encode()
            if len(wire) > 4096:
                self.refusals["too_large"] += 1
                continue
            good.append((signed, wire))
        # an admit of a ticket our list lacks counts inside only with its credential
        theirs = [(s.scan, s.credential) for s, _ in good if s.origin != self.me]
        doubtful = unproven.unproven_ids(theirs, self.store, self.store.mesh_reader)
        # a few scans per transaction, the door first (mesh_log.record_peer_scans)
        failure = None
        with self._new_scans_in_hand() as arriving:
            done = None
            if good:
                try:
                    done = mesh_log.record_peer_scans(
                        self.store, good, self.me, doubtful, on_new=arriving
                    )
                except mesh_log.NotRecorded as exc:  # what was committed before still counts
                    done, failure = exc.done, exc.cause
            new = done.new if done else 0
            if new:  # (before the mark goes: the peers were never quiet meanwhile)
                self._last_peer_scan = time.monotonic()
        if done and done.rewound:
            # a peer's numbers were re-signed after its fork: what the abandoned branch
            # hid is asked for at once, on every link (the re-signer may not be this one)
            log.info("mesh: %d peer(s) re-signed their scans after a fork", len(done.rewound))
            with self._links_lock:
                links = list(self._links.values())
            for other in links:
                self._enqueue(other, ("have", None))
        if done and done.forked:
            self._show_forks(done.forked)
        self._maybe_checkpoint()
        self.received += new
        if new and self.on_scans is not None:
            self.on_scans(new)
        if failure is not None:
            raise failure
        if new:  # written (copies write nothing, and pass on a full disk too)
            self._recorded_again()
        return new

    def _not_recorded(self, exc: sqlite3.Error) -> None:
        """The journal refused a peer's batch (a full or failing disk). The scans of its
        transactions before the refusal are held; the rest, and whatever comes until the
        disk takes writes again, is asked for again: all links get a "have" after
        ``RECORD_RETRY_S``, doubled after each refusal in a row (``_retry_recording``, on
        the signer's tick). The links stay up: dropping them made both kiosks reconnect
        and resend the whole catch-up every few milliseconds while the disk stayed full.
        One warning per spell, not one per batch; with the traceback when the error is not
        the disk's (a bug retried on the same terms rather than ending every link)."""
        with self._record_lock:
            self.not_recorded += 1
            now = time.monotonic()
            self._last_refusal = now
            if self._record_failing is None:
                self._record_failing = now
                log.warning(
                    "mesh: this kiosk cannot record its peers' scans (%s); it asks for them"
                    " again once it can write",
                    exc,
                    exc_info=None if is_disk_failure(exc) or is_locked(exc) else exc,
                )
            if self._record_retry_at is None:
                self._record_retry_at = now + self._record_delay
                self._record_delay = min(self._record_delay * 2, RECORD_RETRY_MAX_S)

    def _recorded_again(self, why: str = "recording peers' scans again") -> None:
        """New scans were written (or, ``_retry_recording``, nothing was refused for a long
        while): a spell of refusals (``_not_recorded``) is over."""
        if self._record_failing is None:
            return
        with self._record_lock:
            if self._record_failing is None:
                return
            log.info("mesh: %s after %.0f s", why, time.monotonic() - self._record_failing)
            self._record_failing = None
            self._record_delay = RECORD_RETRY_S

    def _waiting_to_ask_again(self) -> bool:
        """The journal refused peers' scans and the peers are not asked again yet. Lapses on
        its own a second after the retry is due, should the signer's tick (every half
        second, it asks) be late: then the links' own "have"s ask."""
        at = self._record_retry_at
        return at is not None and time.monotonic() < at + RETRY_GRACE_S

    def _retry_recording(self) -> None:
        """After a refusal, once its delay is over: every link is asked for what is missing
        (a "have"), so the batches the journal refused come again."""
        now = time.monotonic()
        if self._record_failing is not None and self._record_retry_at is None:
            if now - self._last_refusal >= RECORD_RETRY_MAX_S:  # asked, and nothing refused
                self._recorded_again("no refusal of peers' scans")
            return
        with self._record_lock:
            at = self._record_retry_at
            if at is None or now < at:
                return
            self._record_retry_at = None
        with self._links_lock:
            links = list(self._links.values())
        for link in links:
            self._enqueue(link, ("have", None))

    def _ask_own(self, link: _Link, lseq: int) -> None:
        """Ask ``link`` for our own scans from number ``lseq`` on, at once and in every
        "have" until the first of them comes."""
        link.ask_from = lseq if link.ask_from is None else min(link.ask_from, lseq)
        self._enqueue(link, ("have", None))

    def _check_yours(self, link: _Link, yours: object) -> None:
        """A peer's "yours": scan ids it holds under some of our numbers. One that differs
        from ours under the same number means we numbered scans twice (restored from an
        older copy, we signed new scans under numbers peers hold for lost ones), even
        where no number the peer holds is past ours: our own are asked for from the
        highest number below it where both agree, and the fork shows (_mend_fork)."""
        if not isinstance(yours, list) or not 0 < len(yours) <= MAX_YOURS:
            return  # older kiosks send none; anything else is ignored, not trusted
        pairs = tuple(
            (p[0], p[1])
            for p in yours
            if isinstance(p, list)
            and len(p) == 2
            and type(p[0]) is int
            and 0 < p[0] <= MAX_ID
            and isinstance(p[1], str)
            and len(p[1]) <= 64
        )
        if pairs == link.yours_seen:
            return  # checked already: a peer repeating itself asks nothing again
        link.yours_seen = pairs
        differ, agree = None, 0
        for lseq, scan_id in sorted(pairs):
            held = mesh_log.own_scan_at(self.store, self.me, lseq)
            if held is None:
                continue
            if held[0] != scan_id:
                differ = lseq
                break
            agree = lseq
        if differ is not None:
            log.info("mesh: peer %s holds another scan of ours under %d", link.peer[:8], differ)
            self._ask_own(link, agree)

    def _show_forks(self, forked: dict[str, int]) -> None:
        """Peers that signed two scans under one number (restored from an older copy, they
        numbered new scans again): each is sent what this log holds of it from there, if
        linked, at most once per ``FORK_SHOW_S``. Its own envelopes coming back show it the
        fork, which it mends (``_mend_fork``); no claim of ours need be higher than its
        own numbers for that."""
        now = time.monotonic()
        with self._links_lock:
            links = {d: self._links.get(d) for d in forked}
        for origin, lseq in forked.items():
            link = links[origin]
            if link is None or now - self._fork_shown.get(origin, float("-inf")) < FORK_SHOW_S:
                continue
            self._fork_shown[origin] = now
            envelopes = mesh_log.envelopes_from(self.store, origin, lseq, self.config.batch)
            if envelopes:
                log.info("mesh: peer %s numbered scans twice from %d: shown", origin[:8], lseq)
                self._enqueue(link, ("raw", _scans_message(envelopes)))

    def _mend_fork(self, lseq: int) -> None:
        """A peer holds another scan of ours under a number we signed too: our log lost its
        tail and we numbered new scans again from there. Ours from that number on are taken
        out of the log (their scans stay, and are signed again past what the peers hold);
        the peer's envelopes take their places."""
        with self._sign_lock:
            dropped = mesh_log.drop_own_from(self.store, self.me, lseq)
        self.forks_mended += 1
        # Another peer may hold other scans under the numbers just signed again: every
        # "have" asks for our own from the start again, until the first comes back.
        with self._links_lock:
            links = list(self._links.values())
        for link in links:
            self._ask_own(link, self._start_top)
        log.warning(
            "mesh: this kiosk's scans from number %d were numbered twice (restored from an"
            " older copy?): %d of them will be signed again",
            lseq,
            dropped,
        )

    def _refuse_origin(self, origin: str) -> None:
        self._refused_origins.pop(origin, None)
        self._refused_origins[origin] = None
        while len(self._refused_origins) > MAX_REFUSED_ORIGINS:
            del self._refused_origins[next(iter(self._refused_origins))]

    def _maybe_checkpoint(self) -> None:
        """After each batch of peer scans and every half second (the signer)."""
        if self._checkpointing.locked():
            return
        if self._checkpoint_due():
            self._spawn(self._checkpoint, "mesh-checkpoint")

    def _checkpoint_due(self) -> bool:
        """Whether the journal should be checkpointed now (mesh_log.checkpoint_due's rule)."""
        copied = self._copied_through
        if copied is not None and copied == self.store.journal_log_version():
            # nothing written since the last checkpoint that copied the whole log (SQLite
            # rewinds the log only at the next write): an idle kiosk started an empty
            # one every half second
            return False
        quiet = (
            not self._batches_in_hand
            and time.monotonic() - self._last_peer_scan >= mesh_log.QUIET_S
        )
        return mesh_log.checkpoint_due(self.store, quiet)

    def _checkpoint(self) -> None:
        """The log's pages into the journal file, beside the door and the catch-up, not in
        their way (after any door's turn, and only if a batch of new scans did not begin
        meanwhile)."""
        with self._checkpointing:
            self.store.wait_for_door()
            if not self._checkpoint_due():
                return
            version = self.store.journal_log_version()
            whole = self.store.checkpoint_peer_writes()
            self._copied_through = version if whole else None
            self.checkpoints += 1

    def _throttle(self, link: _Link, n: int) -> None:
        """Token bucket per link: a flood is slowed to ``rate_per_s``, never buffered."""
        wait = link.received.take(n)
        if wait:
            self.refusals["throttled"] += 1
            time.sleep(wait)

    def _pace(self, link: _Link, n: int) -> None:
        """The same bucket for what a link's catch-ups send: a peer asking for the whole log
        again and again (a ``have`` of nothing every few milliseconds) gets it at
        ``rate_per_s``, so it cannot keep this kiosk sending beside its door. An honest
        peer reads no faster anyway (its own ``_throttle``)."""
        wait = link.sent.take(n)
        if wait:
            self.catchups_paced += 1
            self._stop.wait(wait)


class _ProtocolError(Exception):
    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def _scans_message(envelopes: list[bytes]) -> bytes:
    message = b'{"t":"scans","scans":[' + b",".join(envelopes) + b"]}"
    if len(message) > MAX_FRAME:
        raise ValueError("batch too large")
    return message


def _lan_ip(server: str | None) -> str:
    """The address peers on this LAN reach this kiosk at: the one its route to the server (or
    to any LAN) leaves from. A UDP "connect" sends nothing; it only asks the routing table."""
    from urllib.parse import urlparse

    target = urlparse(server).hostname if server else None
    for host in (target, "10.255.255.255"):
        if not host:
            continue
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.connect((host, 9))
                return s.getsockname()[0]
        except OSError:
            continue
    return "127.0.0.1"
