"""RFC 9162 hashing and proofs in lawtrace_verify, against the Certificate Transparency vectors and by property."""

from __future__ import annotations

import hashlib
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st
from lawtrace_verify import canonical, ed25519, merkle
from lawtrace_verify.canonical import EVENT_FIELDS, canonical_bytes

CT_LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = {
    (0, 8): ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    (5, 8): ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
}
HASHED = [merkle.leaf_hash(leaf) for leaf in CT_LEAVES]


def _from_leaves(leaves):
    return lambda level, index: merkle.root(leaves[index << level:(index + 1) << level])


def _proof(ranges, leaves):
    return [merkle.range_hash(a, b, _from_leaves(leaves)) for a, b in ranges]


def test_roots_for_zero_to_eight_leaves_match_certificate_transparency():
    for size, expected in enumerate(CT_ROOTS):
        assert merkle.root(HASHED[:size]).hex() == expected
        tree = merkle.CompactRange()
        for leaf in HASHED[:size]:
            tree.append(leaf)
        assert tree.root().hex() == expected


def test_inclusion_proofs_match_certificate_transparency():
    root = bytes.fromhex(CT_ROOTS[8])
    for (index, size), expected in CT_INCLUSION.items():
        proof = _proof(merkle.inclusion_ranges(index, size), HASHED)
        assert [p.hex() for p in proof] == expected
        assert merkle.verify_inclusion(HASHED[index], index, size, proof, root)


def test_consistency_proof_two_to_eight_starts_as_certificate_transparency_says():
    proof = _proof(merkle.consistency_ranges(2, 8), HASHED)
    assert [p.hex() for p in proof[:2]] == ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                                            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]
    assert merkle.verify_consistency(2, 8, bytes.fromhex(CT_ROOTS[2]), bytes.fromhex(CT_ROOTS[8]), proof)


leaves_strategy = st.lists(st.binary(max_size=16), min_size=1, max_size=70)


@settings(max_examples=60, deadline=None)
@given(leaves_strategy, st.data())
def test_every_inclusion_proof_verifies_and_any_changed_byte_fails(leaves, data):
    hashed = [merkle.leaf_hash(leaf) for leaf in leaves]
    size = len(hashed)
    root = merkle.root(hashed)
    index = data.draw(st.integers(0, size - 1))
    proof = _proof(merkle.inclusion_ranges(index, size), hashed)
    assert merkle.verify_inclusion(hashed[index], index, size, proof, root)
    assert not merkle.verify_inclusion(merkle.leaf_hash(leaves[index] + b"x"), index, size, proof, root)
    if proof:
        which = data.draw(st.integers(0, len(proof) - 1))
        byte = data.draw(st.integers(0, 31))
        broken = list(proof)
        broken[which] = broken[which][:byte] + bytes([broken[which][byte] ^ 1]) + broken[which][byte + 1:]
        assert not merkle.verify_inclusion(hashed[index], index, size, broken, root)
    if size > 1:
        assert not merkle.verify_inclusion(hashed[index], (index + 1) % size, size, proof, root) or \
            hashed[index] == hashed[(index + 1) % size]


@settings(max_examples=60, deadline=None)
@given(leaves_strategy, st.data())
def test_every_consistency_proof_verifies_and_a_rewritten_history_fails(leaves, data):
    hashed = [merkle.leaf_hash(leaf) for leaf in leaves]
    new_size = len(hashed)
    old_size = data.draw(st.integers(1, new_size))
    proof = _proof(merkle.consistency_ranges(old_size, new_size), hashed)
    old_root, new_root = merkle.root(hashed[:old_size]), merkle.root(hashed)
    assert merkle.verify_consistency(old_size, new_size, old_root, new_root, proof)
    rewritten = list(hashed)
    position = data.draw(st.integers(0, old_size - 1))
    rewritten[position] = merkle.leaf_hash(b"rewritten" + leaves[position])
    assert not merkle.verify_consistency(old_size, new_size, merkle.root(rewritten[:old_size]), new_root, proof)


def test_ed25519_rfc_8032_test_1_and_signatures_from_openssl():
    public = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    signature = bytes.fromhex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39"
                              "701cf9b46bd25bf5f0595bbe24655141438e7a100b")
    assert ed25519.verify(public, b"", signature)
    assert not ed25519.verify(public, b"x", signature)
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    for length in (0, 1, 64, 1000):
        message = (hashlib.sha256(str(length).encode()).digest() * (length // 32 + 1))[:length]
        good = key.sign(message)
        assert ed25519.verify(raw, message, good)
        assert not ed25519.verify(raw, message, good[:-1] + bytes([good[-1] ^ 1]))
        assert not ed25519.verify(raw, message + b"!", good)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=12)


@given(st.fixed_dictionaries({name: _json_values for name in EVENT_FIELDS}))
def test_event_bytes_are_the_whole_object_encoded_with_sorted_keys(event):
    # The ledger writes the object from its fields' texts; the offline verifier and any JSON library must agree.
    reference = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    assert canonical_bytes(event) == reference.encode("utf-8")
    # The encoder built once must agree with the public one it stands in for.
    assert canonical.value_text(event["detail"]) == canonical.public_encode(event["detail"])
