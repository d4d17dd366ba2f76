"""Labelled synthetic traffic of a central health-IT network, with injected attacks.

``simulate(seed, hours=, start=)`` returns a :class:`~sectool.traffic.simulate.core.Simulation`;
``write_simulation(sim, out, fmt=)`` writes ``events.parquet`` (flat ECS), ``traffic.pcap`` and
``ground_truth.json``. Deterministic for a seed: no wall clock, one seeded ``random.Random``.
"""

from sectool.traffic.simulate.attacks import ATTACK_TYPES
from sectool.traffic.simulate.core import DEFAULT_START, Simulation, simulate, write_simulation

__all__ = ["ATTACK_TYPES", "DEFAULT_START", "Simulation", "simulate", "write_simulation"]
