"""One thin, idempotent handler per side effect of the saga.

Each handler opens a unit of work, loads one aggregate, calls one domain method
and commits; provider calls happen outside any open transaction.
"""
