"""Structure-aware mutation of chip data for the fuzz harnesses (tests/test_fuzz_chip.py).

A valid input (a data group, an EF.SOD, a certificate, My Number files) is read as a tree of BER-TLV
objects, descending into constructed objects and into OCTET and BIT STRINGs that hold DER (the
LDSSecurityObject, a public key); one to four mutations are applied to nodes of that tree (a value
replaced, a tag changed, a length that lies, a node deleted, duplicated, swapped, nested thousands
deep or spliced in from another input; OIDs, INTEGERs and key points get values chosen to hurt);
the tree is encoded again and, now and then, bytes are flipped, cut or inserted on top. Each input
comes with a short description of what was done, so a failure names what broke.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from madoguchi.chip import tlv
from madoguchi.chip.errors import ChipDataError

MAX_TREE_DEPTH = 24
TAGS = (
    *(0x02, 0x03, 0x04, 0x05, 0x06, 0x0C, 0x13, 0x17, 0x30, 0x31, 0xA0, 0xA1, 0xA3, 0x5C, 0x60, 0x61),
    *(0x75, 0x77, 0x86, 0xD1, 0x5F1F, 0x5F2E, 0x5F37, 0x5F4E, 0x7F21, 0x7F2E, 0x7F60, 0x7F61, 0xDF27, 0xDF28),
)
OIDS = {
    "oversized": b"\x2a" + b"\xa0" * 5000 + b"\x01",
    "long": b"\x2a" + b"\x81" * 70 + b"\x01",
    "empty": b"",
    "cut short": b"\x2a\x86",
    "not minimal": b"\x2a\x80\x01",
    "huge first arc": b"\xff\xff\xff\xff\x7f",
    "rsaEncryption": bytes.fromhex("2A864886F70D010101"),
    "rsassa-pss": bytes.fromhex("2A864886F70D01010A"),
    "dsa": bytes.fromhex("2A8648CE380401"),
    "ed25519": bytes.fromhex("2B6570"),
    "md5": bytes.fromhex("2A864886F70D0205"),
    "sha1": bytes.fromhex("2B0E03021A"),
    "sha512": bytes.fromhex("608648016503040203"),
    "messageDigest": bytes.fromhex("2A864886F70D010904"),
    "secp384r1": bytes.fromhex("2B81040022"),
}
INTEGERS = {
    "empty": b"",
    "zero": b"\x00",
    "negative": b"\x80\x01",
    "leading zeros": b"\x00\x00\x00\x01",
    "huge": b"\x7f" + b"\xff" * 4000,
}
POINTS = {
    "(0, 0)": b"\x04" + bytes(64),
    "compressed 0": b"\x02" + bytes(32),
    "all ones": b"\x04" + b"\xff" * 64,
    "empty": b"",
    "infinity": b"\x00",
}
LENGTHS = {
    "indefinite": b"\x80",
    "4 GiB": b"\x84\xff\xff\xff\xff",
    "5 length bytes": b"\x85\x00\x00\x00\x00\x01",
    "not minimal": b"\x82\x00\x01",
}


@dataclass
class Node:
    """One TLV. ``children`` is set when the value is itself TLVs (constructed, or DER inside an
    OCTET/BIT STRING: ``lead`` then holds the BIT STRING's unused-bits byte); ``length`` overrides
    the encoded length (a lie); ``tag`` None marks bytes kept as they are (``value``): trailing
    padding, or a node already encoded (nested too deep to keep as a tree)."""

    tag: int | None
    value: bytes = b""
    children: list[Node] | None = None
    lead: bytes = b""
    length: bytes | None = None


@dataclass
class Mutant:
    data: bytes
    steps: list[str] = field(default_factory=list)

    @property
    def description(self) -> str:
        return ", ".join(self.steps) or "unchanged"


def _nested(value: bytes, depth: int) -> list[Node] | None:
    """``value`` as TLVs that fill it exactly, or None."""
    if depth >= MAX_TREE_DEPTH or len(value) < 2:
        return None
    try:
        return tree(value, depth + 1)
    except ChipDataError:
        return None


def tree(data: bytes, depth: int = 0) -> list[Node]:
    """``data`` as a list of nodes (ChipDataError if it is not TLVs to the end, bar padding)."""
    nodes: list[Node] = []
    end = len(data.rstrip(b"\x00\xff"))
    offset = 0
    while offset < end:
        tag, after_tag = tlv.read_tag(data, offset)
        length, start = tlv.read_length(data, after_tag)
        if start + length > len(data):
            raise ChipDataError("runs past the end")
        value = data[start : start + length]
        node = Node(tag, value)
        first = data[offset]
        if first & 0x20:
            node.children = _nested(value, depth)
            if node.children is None and value:
                raise ChipDataError("constructed but not TLVs")
        elif tag == 0x03 and value[:1] == b"\x00":
            node.children, node.lead = _nested(value[1:], depth), b"\x00"
        elif tag != 0x06 and tag != 0x02:
            node.children = _nested(value, depth)
        nodes.append(node)
        offset = start + length
    if offset < len(data):
        nodes.append(Node(None, data[offset:]))
    return nodes


def encode(nodes: list[Node]) -> bytes:
    out = bytearray()
    for node in nodes:
        if node.tag is None:
            out += node.value
            continue
        value = node.value if node.children is None else node.lead + encode(node.children)
        whole = tlv.encode(node.tag, value)
        if node.length is not None:
            header = len(whole) - len(value)
            tag_size = len(tlv.encode(node.tag, b"")) - 1
            whole = whole[:tag_size] + node.length + whole[header:]
        out += whole
    return bytes(out)


def _places(nodes: list[Node]) -> list[tuple[list[Node], int]]:
    """Every node as (the list holding it, its index), depth first; padding left out."""
    places = []
    for index, node in enumerate(nodes):
        if node.tag is None:
            continue
        places.append((nodes, index))
        if node.children is not None:
            places += _places(node.children)
    return places


def _pick(rng: np.random.Generator, items: dict[str, bytes]) -> tuple[str, bytes]:
    name = list(items)[int(rng.integers(len(items)))]
    return name, items[name]


def _random_bytes(rng: np.random.Generator, size: int) -> bytes:
    return rng.integers(0, 256, size, dtype=np.uint8).tobytes()


def _mutate_node(rng: np.random.Generator, nodes: list[Node], donors: list[list[Node]]) -> str:
    places = _places(nodes)
    if not places:
        nodes.append(Node(int(rng.choice(TAGS)), _random_bytes(rng, int(rng.integers(0, 40)))))
        return "added a node"
    siblings, index = places[int(rng.integers(len(places)))]
    node = siblings[index]
    name = f"{node.tag:X}"
    kind = int(rng.integers(0, 14))
    if kind == 0:
        size = int(rng.choice([0, 1, 2, 7, len(node.value), 2 * len(node.value) + 8]))
        siblings[index] = Node(node.tag, _random_bytes(rng, size))
        return f"{name}: random value of {size} bytes"
    if kind == 1:
        value = bytearray(
            (node.lead + encode(node.children) if node.children is not None else node.value) or b"\0"
        )
        for _ in range(int(rng.integers(1, 4))):
            value[int(rng.integers(len(value)))] ^= int(rng.integers(1, 256))
        siblings[index] = Node(node.tag, bytes(value))
        return f"{name}: value bits flipped"
    if kind == 2:
        value = node.lead + encode(node.children) if node.children is not None else node.value
        cut = int(rng.integers(0, len(value) + 1))
        siblings[index] = Node(node.tag, value[:cut])
        return f"{name}: value cut to {cut} bytes"
    if kind == 3:
        del siblings[index]
        return f"{name}: deleted"
    if kind == 4:
        siblings.insert(index, copy.deepcopy(node))
        return f"{name}: duplicated"
    if kind == 5 and len(siblings) > 1:
        other = int(rng.integers(len(siblings)))
        siblings[index], siblings[other] = siblings[other], siblings[index]
        return f"{name}: swapped with a sibling"
    if kind == 6:
        node.tag = int(rng.choice(TAGS)) if rng.random() < 0.7 else int(rng.integers(0, 256))
        return f"{name}: tag now {node.tag:X}"
    if kind == 7:
        lie, length = _pick(rng, LENGTHS) if rng.random() < 0.5 else ("off by some", b"")
        if not length:
            actual = len(node.value if node.children is None else node.lead + encode(node.children))
            wrong = max(0, actual + int(rng.choice([-3, -1, 1, 2, 200, 70000])))
            length = tlv.encode(0x04, bytes(wrong))[1 : -wrong or None]
        node.length = length
        return f"{name}: length {lie}"
    if kind == 8:
        depth = int(rng.choice([2, 17, 100, 3000]))
        wrapper = int(rng.choice([0x30, 0xA0, node.tag]))
        data = encode([node])
        for _ in range(depth):
            data = tlv.encode(wrapper, data)
        siblings[index] = Node(None, data)
        return f"{name}: nested {depth} deep"
    if kind == 9:
        what, value = _pick(rng, OIDS)
        siblings[index] = Node(0x06, value)
        return f"{name}: OID {what}"
    if kind == 10:
        what, value = _pick(rng, INTEGERS)
        siblings[index] = Node(node.tag, value)
        return f"{name}: INTEGER {what}"
    if kind == 11:  # as a BIT STRING: a key point or a signature
        lead = b"\x00" if rng.random() < 0.9 else b"\x07"
        what, point = _pick(rng, POINTS)
        siblings[index] = Node(node.tag, lead + point)
        return f"{name}: key point {what}"
    if kind == 12 and donors:
        donor = _places(donors[int(rng.integers(len(donors)))])
        if donor:
            parent, at = donor[int(rng.integers(len(donor)))]
            siblings[index] = copy.deepcopy(parent[at])
            return f"{name}: replaced by another input's {parent[at].tag:X}"
    size = int(rng.choice([1, 300, 70_000]))
    node.children = None
    node.value = (node.value or b"") + _random_bytes(rng, size)
    return f"{name}: grown by {size} bytes"


def _mutate_bytes(rng: np.random.Generator, data: bytes) -> tuple[bytes, str]:
    data = bytearray(data)
    kind = int(rng.integers(0, 3))
    where = int(rng.integers(0, len(data) + 1))
    if kind == 0 and data:
        for _ in range(int(rng.integers(1, 6))):
            data[int(rng.integers(len(data)))] ^= int(rng.integers(1, 256))
        return bytes(data), "bytes flipped"
    if kind == 1:
        return bytes(data[:where]), f"cut at {where}"
    return bytes(
        data[:where] + _random_bytes(rng, int(rng.integers(1, 16))) + data[where:]
    ), f"bytes in at {where}"


class Mutator:
    """Mutants of ``valid`` (one input), with nodes from ``others`` to splice in."""

    def __init__(self, valid: bytes, others: list[bytes] = ()) -> None:
        self.valid = valid
        self.tree = tree(valid)
        assert encode(self.tree) == valid, "the input does not encode back to itself"
        self.donors = [tree(other) for other in others]

    def mutant(self, rng: np.random.Generator) -> Mutant:
        if rng.random() < 0.03:
            return Mutant(self.valid)
        nodes = copy.deepcopy(self.tree)
        steps = [_mutate_node(rng, nodes, self.donors) for _ in range(int(rng.integers(1, 5)))]
        data = encode(nodes)
        if rng.random() < 0.2:
            data, step = _mutate_bytes(rng, data)
            steps.append(step)
        return Mutant(data, steps)


def mutated_bytes(rng: np.random.Generator, valid: bytes) -> Mutant:
    """Byte-level mutants only (for formats that are not TLV: JPEG, JPEG 2000, an MRZ)."""
    data, steps = valid, []
    for _ in range(int(rng.integers(1, 4))):
        data, step = _mutate_bytes(rng, data)
        steps.append(step)
    return Mutant(data, steps)
