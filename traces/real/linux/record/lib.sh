# Sourced by the record scripts of this folder: where to write, and the recording itself.
#
#   record/NAME [OUT_DIR]   re-record into OUT_DIR (default: a new temporary folder)
#   record/NAME --commit    re-record into traces/real/linux itself (the committed corpus)
#
# The committed folder is only written when asked with --commit, so running a script to
# see whether a program still behaves the same never changes the corpus by accident.
# Needs strace, wsshare (pip install -e .; or WSSHARE=/path/to/wsshare) and python3.

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CORPUS=$(dirname "$HERE")
WSSHARE=${WSSHARE:-wsshare}

case "${1:-}" in
    -h | --help)
        sed -n '2,9p' "$HERE/lib.sh" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    --commit) OUT=$CORPUS ;;
    "") OUT=$(mktemp -d -t wsshare-linux-XXXXXX) ;;
    -*)
        echo "$(basename "$0"): unknown option $1 (OUT_DIR or --commit)" >&2
        exit 2
        ;;
    *) OUT=$1 ;;
esac
mkdir -p "$OUT"

# A scratch folder for configurations and sockets; its paths appear in strace's log but
# never in a trace (the importer writes only inode identities).
WORK=$(mktemp -d -t wsshare-work-XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# The interpreter itself, not a shell shim in front of it (pyenv's python3 is a bash
# script, which would add its own processes to the recording).
PYTHON=${PYTHON:-$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))')}

need() {
    # A program the recording needs, also where root's PATH is not the caller's (sbin).
    local found
    found=$(PATH="$PATH:/usr/sbin:/sbin" command -v "$1" || true)
    if [ -z "$found" ]; then
        echo "$(basename "$0"): $1 not found; install it: apt-get install -y $2" >&2
        exit 2
    fi
    echo "$found"
}

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# record NAME CMD...: run CMD under strace and write OUT/NAME.jsonl.
record() {
    local name=$1
    shift
    "$WSSHARE" record linux --timeout 60 -o "$OUT/$name.jsonl" -- "$@"
    echo "wrote $OUT/$name.jsonl"
}
