"""Importers: logs of unmodified programs (strace, Wine's relay channel) turned into traces."""
