"""The `wsshare` command line: the one place that prints for a person.

`commands` holds the parser and the commands of checking and the model's tables,
`explore` the search, graph and bench explore commands, `imports` importing and
recording real programs, `stateful` the stateful bench.
"""

from .commands import main

__all__ = ["main"]
