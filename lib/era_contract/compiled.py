"""Avro binary encoding compiled to Python for one record schema.

fastavro is generic: for every record it walks the schema, resolves each union branch by testing
the value against every type, and builds its reader/writer state anew per call. Our events are
records of strings, ints, longs, booleans, ``["null", X]`` unions, arrays of strings and arrays
of records of those (a Claim's lines, a Remittance's PLB items), so a function written for the
schema (field order, types and union indexes fixed in the code) does the same work several times
faster. The output is byte-for-byte fastavro's, which a test checks
on generated records of every schema in ``schemas/``.

:func:`compile_record` returns ``None`` for a schema with any other type (a record outside an
array, maps, enums, logical types ...); :class:`~era_contract.codec.AvroCodec` then stays on
fastavro. It is used only when the writer schema *is* the reader schema; schema resolution (an
older writer) is fastavro's job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Record = dict[str, Any]

_PRIMITIVES = ("string", "bytes", "int", "long", "boolean")
_INT_RANGE = (-(1 << 31), (1 << 31) - 1)
_LONG_RANGE = (-(1 << 63), (1 << 63) - 1)


class AvroDataError(ValueError):
    """The record does not fit the schema, or the bytes are not a record of it."""


@dataclass(frozen=True, slots=True)
class CompiledRecord:
    """Encode a record to its Avro body; decode a body starting at ``pos``.

    ``decode`` returns the record and the position after it, so a caller can tell where a
    record's leading fields end (decoding a prefix schema) and reuse those bytes.
    """

    name: str
    encode: Callable[[Record], bytes]
    decode: Callable[[bytes, int], tuple[Record, int]]


def _write_long(out: bytearray, value: int) -> None:
    n = (value << 1) ^ (value >> 63)
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def _read_long(data: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return (result >> 1) ^ -(result & 1), pos
        shift += 7
        if shift > 63:
            raise AvroDataError(f"varint longer than 10 bytes at byte {pos}")


def _field_kind(avro_type: Any) -> tuple[str, bool] | None:
    """``(primitive, nullable)`` for the shapes we compile, else None. ``array_record`` is an
    array of a record type (compiled on its own, see :func:`compile_record`)."""
    if isinstance(avro_type, str) and avro_type in _PRIMITIVES:
        return avro_type, False
    if isinstance(avro_type, dict) and avro_type.get("type") == "array":
        return _array_kind(avro_type)
    if isinstance(avro_type, list) and len(avro_type) == 2 and avro_type[0] == "null":
        inner = avro_type[1]
        if isinstance(inner, str) and inner in _PRIMITIVES:
            return inner, True
    return None


def _array_kind(avro_type: dict[str, Any]) -> tuple[str, bool] | None:
    items = avro_type.get("items")
    if set(avro_type) - {"type", "items"}:
        return None
    if items == "string":
        return "array_string", False
    if isinstance(items, dict) and items.get("type") == "record":
        return "array_record", False
    return None


# encode: value in ``v``, appended to ``out``; ``bad(name, v)`` raises
_ENCODE = {
    "string": (
        "if v.__class__ is not str and not isinstance(v, str): bad({name!r}, v)\n"
        "b = v.encode()\n"
        "n = len(b)\n"
        "if n < 64: out.append(n << 1)\n"
        "else: wl(out, n)\n"
        "out += b"
    ),
    "bytes": (
        "if not isinstance(v, (bytes, bytearray)): bad({name!r}, v)\n"
        "n = len(v)\n"
        "if n < 64: out.append(n << 1)\n"
        "else: wl(out, n)\n"
        "out += v"
    ),
    "int": (
        "if not isinstance(v, int) or not {lo} <= v <= {hi}: bad({name!r}, v)\n"
        "if 0 <= v < 64: out.append(v << 1)\n"
        "else: wl(out, v)"
    ),
    "boolean": "out.append(1 if v else 0)",
    "array_string": (
        "if not isinstance(v, (list, tuple)): bad({name!r}, v)\n"
        "if v:\n"
        "    wl(out, len(v))\n"
        "    for item in v:\n"
        "        if not isinstance(item, str): bad({name!r}, item)\n"
        "        b = item.encode()\n"
        "        wl(out, len(b))\n"
        "        out += b\n"
        "out.append(0)"
    ),
}
_ENCODE["long"] = _ENCODE["int"]
_ENCODE["array_record"] = (
    "if not isinstance(v, (list, tuple)): bad({name!r}, v)\n"
    "if v:\n"
    "    wl(out, len(v))\n"
    "    for item in v:\n"
    "        if not isinstance(item, dict): bad({name!r}, item)\n"
    "        out += enc_{index}(item)\n"
    "out.append(0)"
)

# decode: reads from ``data`` at ``pos`` into ``v``
_READ_LENGTH = (
    "c = data[pos]\n"
    "if c < 128:\n"
    "    n = (c >> 1) ^ -(c & 1)\n"
    "    pos += 1\n"
    "else: n, pos = rl(data, pos)\n"
)
_DECODE = {
    "string": _READ_LENGTH + "if n < 0 or pos + n > size: short({name!r})\n"
    "v = data[pos:pos + n].decode()\n"
    "pos += n",
    "bytes": _READ_LENGTH + "if n < 0 or pos + n > size: short({name!r})\n"
    "v = data[pos:pos + n]\n"
    "pos += n",
    "int": _READ_LENGTH + "v = n",
    "boolean": "v = data[pos] != 0\npos += 1",
    "array_string": (
        "v = []\n"
        "while True:\n"
        "    count, pos = rl(data, pos)\n"
        "    if count == 0: break\n"
        "    if count < 0:\n"
        "        count = -count\n"
        "        _, pos = rl(data, pos)\n"
        "    for _i in range(count):\n"
        "        n, pos = rl(data, pos)\n"
        "        if n < 0 or pos + n > size: short({name!r})\n"
        "        v.append(data[pos:pos + n].decode())\n"
        "        pos += n"
    ),
}
_DECODE["long"] = _DECODE["int"]
_DECODE["array_record"] = (
    "v = []\n"
    "while True:\n"
    "    count, pos = rl(data, pos)\n"
    "    if count == 0: break\n"
    "    if count < 0:\n"
    "        count = -count\n"
    "        _, pos = rl(data, pos)\n"
    "    for _i in range(count):\n"
    "        item, pos = dec_{index}(data, pos)\n"
    "        v.append(item)"
)


def _indent(code: str, spaces: int) -> str:
    return "\n".join(" " * spaces + line for line in code.splitlines())


def compile_record(schema: Any) -> CompiledRecord | None:
    """A compiled codec for the parsed record ``schema``, or None if it has other types."""
    if not isinstance(schema, dict) or schema.get("type") != "record":
        return None
    name = str(schema.get("name"))
    fields: list[tuple[str, str, bool, Any]] = []
    nested: dict[str, Any] = {}
    for index, spec in enumerate(schema["fields"]):
        shape = _field_kind(spec["type"])
        if shape is None:
            return None
        if shape[0] == "array_record":
            inner = compile_record(spec["type"]["items"])
            if inner is None:
                return None
            nested[f"enc_{index}"] = inner.encode
            nested[f"dec_{index}"] = inner.decode
        fields.append((spec["name"], shape[0], shape[1], spec.get("default")))
    encode_lines = ["def encode(record):", "    out = bytearray()", "    get = record.get"]
    decode_lines = ["def decode(data, pos):", "    size = len(data)", "    record = {}"]
    for index, (field, kind, nullable, _) in enumerate(fields):
        lo, hi = _INT_RANGE if kind == "int" else _LONG_RANGE
        write = _ENCODE[kind].format(name=field, lo=lo, hi=hi, index=index)
        read = _DECODE[kind].format(name=field, index=index)
        encode_lines.append(f"    v = get({field!r}, d[{index}])")
        if nullable:
            encode_lines += ["    if v is None:", "        out.append(0)", "    else:"]
            encode_lines += ["        out.append(2)", _indent(write, 8)]
            decode_lines += ["    c = data[pos]", "    pos += 1", "    if c == 0:"]
            decode_lines += ["        v = None", "    elif c == 2:", _indent(read, 8), "    else:"]
            decode_lines.append(f"        branch({field!r}, c)")
        else:
            encode_lines.append(_indent(write, 4))
            decode_lines.append(_indent(read, 4))
        decode_lines.append(f"    record[{field!r}] = v")
    encode_lines.append("    return bytes(out)")
    decode_lines.append("    return record, pos")

    def bad(field: str, value: Any) -> None:
        raise AvroDataError(f"{name}.{field}: {type(value).__name__} value does not fit the schema")

    def short(field: str) -> None:
        raise AvroDataError(f"{name}.{field}: the data ends inside the record")

    def branch(field: str, index: int) -> None:
        raise AvroDataError(f"{name}.{field}: union branch {index >> 1} does not exist")

    scope: dict[str, Any] = {
        "d": tuple(default for *_, default in fields),
        "wl": _write_long,
        "rl": _read_long,
        "bad": bad,
        "short": short,
        "branch": branch,
        **nested,
    }
    exec(compile("\n".join(encode_lines), f"<avro encode {name}>", "exec"), scope)
    exec(compile("\n".join(decode_lines), f"<avro decode {name}>", "exec"), scope)
    return CompiledRecord(name, scope["encode"], _guarded(name, scope["decode"]))


def _guarded(
    name: str, decode: Callable[[bytes, int], tuple[Record, int]]
) -> Callable[[bytes, int], tuple[Record, int]]:
    def checked(data: bytes, pos: int = 0) -> tuple[Record, int]:
        try:
            return decode(data, pos)
        except AvroDataError:
            raise
        except (IndexError, UnicodeDecodeError) as exc:
            raise AvroDataError(f"{name}: corrupt Avro body: {exc}") from exc

    return checked
