"""Formal equivalence proofs of the emitted units against generated references.

``python -m formal.prove`` (``make prove``) proves every SA PE and TC/STC
dot-product unit; see docs/formal.md.  Modules:

- :mod:`formal.reference`: the reference Verilog, written from SPARQ.md;
- :mod:`formal.designs`: the designs proved and their emission through the CLI;
- :mod:`formal.miter`: the Yosys/ABC flow and the counterexamples;
- :mod:`formal.aig`: a bit-parallel AIG simulator (register pairing);
- :mod:`formal.lemmas`: SySMT step 2; :mod:`formal.table`: the golden TRU table;
- :mod:`formal.mutate`: the broken copy of the mutation check.
"""
