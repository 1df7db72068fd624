"""The devices: what the transaction asks of each (:mod:`.base`), their drivers and doubles (one
module per device), and the one place that opens them from the config (:mod:`.factory`).

This package's own import loads no device library, so the protocols can be imported anywhere.
"""
