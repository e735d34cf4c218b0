"""Reference figures from the SPARQ paper (Shomron et al., NeurIPS 2021).

Transcribed from the paper's Table 3 ("Relative hardware area of different
SA and TC implementations") and from its Section 5.4 (trim-and-round unit
area relative to a conventional TC dot-product unit); the project's spec,
SPARQ.md section 8, lists the same numbers.  Reference data to compare with,
never used as expected values in tests.
"""

__all__ = ["TABLE3", "TRU_OF_TC_DP", "TARGETS"]

#: Relative cell area vs the 8b-8b PE of the same kind (Table 3); None: not reported.
TABLE3 = {
    "sa_pe": {"8b8b": 1.00, "2x4b8b": 1.00, "5opt": 1.43, "3opt": 1.22, "2opt": 1.13,
              "sysmt": 1.43},
    "tc_dp": {"8b8b": 1.00, "2x4b8b": 1.00, "5opt": 1.44, "3opt": 1.32, "2opt": 1.22},
}

#: TRU area as a fraction of one conventional (8b-8b) TC dot-product unit (Section 5.4).
TRU_OF_TC_DP = {"5opt": 0.17, "3opt": 0.12, "2opt": 0.09}

#: Issue 5's targets: SPARQ at or below the paper's relative area, the 4-bit
#: reference within 1.05 of 8b-8b, SPARQ's critical path within 1.15x 8b-8b's.
TARGETS = {"reference_area": 1.05, "sparq_delay": 1.15}
