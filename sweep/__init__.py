"""Design-space sweeps on a Dask cluster (docs/sweep.md)."""
