"""Amaranth generators for SPARQ processing elements, units and arrays."""
