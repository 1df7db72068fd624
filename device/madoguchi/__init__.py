"""madoguchi: a face-verification appliance for the counters that hand out My Number cards.

The daemon scans the ID photo, captures the visitor, scores the pair on the device and forgets both.
"""

__version__ = "0.1.0"
