"""Capacity search over the ready scenarios: load with ``-f load/locustfile.py,load/capacity.py``
(see load/capacity.conf). Locust uses the shape class it finds here."""

from imapcheck.load.shapes import CapacitySearchShape

__all__ = ["CapacitySearchShape"]
