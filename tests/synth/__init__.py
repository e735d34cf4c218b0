"""Tests of the synthesis flow (synth/)."""
