"""The trained networks' real layers through the emitted RTL: the runs (:mod:`.runs`,
:func:`~.runs.rtl_forward`) and the report (:mod:`.report`, ``python -m workloads.layers``)."""
