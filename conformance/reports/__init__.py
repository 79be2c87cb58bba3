"""Reports a person or a CI job reads: JUnit XML, trace renderings, the seed's table."""
