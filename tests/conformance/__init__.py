"""Conformance: the real mail client libraries against loopback servers, the ground truth
that smtpdoctor's verdicts are paired with (see ground_truth.md)."""
