"""Scorers: bucket tables -> findings, one module per detector family.

Each module registers its scorers on import; :mod:`sectool.traffic.detect.scoring` imports them all.
"""
