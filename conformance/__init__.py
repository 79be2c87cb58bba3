"""wsshare.conformance: everything that meets the outside world, built on wsshare.model.

Scenarios and mutants (implementations under test), named configurations, the trace
format and checker, reports, drivers, and the `wsshare` command line.
"""
