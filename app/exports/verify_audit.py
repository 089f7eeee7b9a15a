#!/usr/bin/env python3
"""Check an audit-log extract (``audit.jsonl``) of a Folkmoot committee pack.  Standard library only.

Usage: ``python verify_audit.py audit.jsonl``.  Exit status 0 when intact, 1 naming the first bad line.

Each line is one entry of the council's hash-chained audit log, exactly as hashed, plus ``prev_hash`` and
``hash``.  An entry's hash is SHA-256 of its predecessor's hash followed by the entry's canonical JSON (sorted
keys, no spaces, UTF-8; every field except ``prev_hash`` and ``hash``).  The check recomputes every hash; ids must
increase; and where two entries of the extract are neighbours in the log (consecutive ids), the second's
``prev_hash`` must be the first's ``hash``.  The extract holds only the entries about one process, so the other
links lead to entries of the whole log, which ``flask audit verify`` checks on the council's side.
"""

from __future__ import annotations

import hashlib
import json
import sys

HASHED = ("id", "time", "actor_id", "actor", "action", "object_type", "object_id", "data")


def canonical(entry: dict) -> str:
    return json.dumps({k: entry.get(k) for k in HASHED}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def verify_lines(lines: list[str]) -> tuple[bool, int, str]:
    """``(ok, entries checked, reason)``; the reason names the first bad line."""
    last_id, last_hash, checked = None, None, 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            return False, checked, f"line {number} is not JSON"
        if not isinstance(entry, dict) or not all(k in entry for k in (*HASHED, "prev_hash", "hash")):
            return False, checked, f"line {number} lacks fields of an audit entry"
        digest = hashlib.sha256((str(entry["prev_hash"]) + canonical(entry)).encode("utf-8")).hexdigest()
        if digest != entry["hash"]:
            return False, checked, f"line {number} (entry {entry['id']}): its content does not match its hash (changed)"
        if not isinstance(entry["id"], int) or (last_id is not None and entry["id"] <= last_id):
            return False, checked, f"line {number} (entry {entry['id']}): ids must increase"
        if last_id is not None and entry["id"] == last_id + 1 and entry["prev_hash"] != last_hash:
            return False, checked, f"line {number} (entry {entry['id']}): its link to entry {last_id} does not match"
        last_id, last_hash = entry["id"], entry["hash"]
        checked += 1
    return True, checked, ""


def verify_file(path: str) -> tuple[bool, int, str]:
    try:
        with open(path, encoding="utf-8") as handle:
            return verify_lines(handle.read().splitlines())
    except (OSError, UnicodeDecodeError) as exc:
        return False, 0, f"cannot read {path}: {exc}"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python verify_audit.py audit.jsonl", file=sys.stderr)
        return 2
    ok, checked, reason = verify_file(argv[0])
    if not ok:
        print(f"{argv[0]}: BROKEN: {reason} ({checked} entries before it are intact)", file=sys.stderr)
        return 1
    print(f"{argv[0]}: intact, {checked} entries verified")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
