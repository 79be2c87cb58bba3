"""Checking traces: the engine (`engine`), the translation of observed values into the
model's (`translate`), the explanation of a violation (`explain`), and runs over folders
with manifests of expected verdicts (`runner`)."""
