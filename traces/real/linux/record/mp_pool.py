"""The program under test is CPython's multiprocessing: this driver only asks a Pool
worker to serve a connection, and multiprocessing's own reduction machinery does the
handoff. Pickling a socket (multiprocessing.reduction._reduce_socket) registers a dup of
it with the parent's resource_sharer; the worker connects back to the sharer over a Unix
socket and the sharer's thread sends the descriptor with SCM_RIGHTS (send_handle), then
closes its dup. The parent closes its own copy once the worker answered, the worker
serves the client and closes, and the pool's workers exit."""

import multiprocessing
import os
import socket
import sys


def serve(conn: socket.socket) -> int:
    data = conn.recv(16)
    conn.sendall(data.upper())
    conn.close()
    return os.getpid()


def main() -> int:
    method = sys.argv[1] if len(sys.argv) > 1 else "fork"
    ctx = multiprocessing.get_context(method)
    server = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(server.getsockname())
    conn, _ = server.accept()
    server.close()
    with ctx.Pool(1) as pool:
        client.sendall(b"hello")
        worker = pool.apply(serve, (conn,))
        conn.close()
        answer = client.recv(16)
    client.close()
    print(f"worker {worker} answered {answer!r}")
    return 0 if answer == b"HELLO" else 1


if __name__ == "__main__":
    sys.exit(main())
