"""``python -m workloads.train``: the command of :mod:`workloads.models.train`."""

from .models.train import main

if __name__ == "__main__":
    main()
