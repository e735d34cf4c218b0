"""Accuracy of SPARQ on the trained networks: evaluation (:mod:`.evaluate`, with
:func:`~.evaluate.evaluate_config` for one design point), statistics (:mod:`.stats`) and
the report (:mod:`.report`, ``python -m workloads.accuracy``)."""
