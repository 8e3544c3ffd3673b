"""Check Lawtrace ledger proofs without Lawtrace: pure Python, standard library only, no network.

A court, a party's lawyer or the supervising 司法局 can run ``lawtrace-verify bundle.json`` on any machine with
Python 3.11 and convince themselves that the events in a bundle are in the signed ledger and that the files listed
still have the hashes the ledger recorded.
"""

FORMAT = "lawtrace-proof-bundle/1"
