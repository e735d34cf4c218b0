"""Operand streams of the trained network for the gate-level power flow (``make power``):
:mod:`.streams` (the real, random and zero streams) and :mod:`.stimuli` (each unit's port
values, the ``python -m workloads.power`` command)."""
