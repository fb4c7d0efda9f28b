#!/usr/bin/env python3
"""stallproxy.py — a TCP proxy on 127.0.0.1 that can stop forwarding without closing anything.

    stallproxy.py TARGET_PORT PORT_FILE

Listens on a free port of 127.0.0.1 (written to PORT_FILE once listening) and forwards every
connection to 127.0.0.1:TARGET_PORT. SIGUSR1 cuts the network: nothing is read or written any
more, in either direction, but every socket stays open, so both ends see a silent peer, as behind
a dead link or a stopped VM. SIGUSR2 heals it: forwarding resumes (and a side that closed
meanwhile is closed on the other side too). After each signal PORT_FILE.state says "cut" or
"open". Used by tests/cli/lease-fencing.bats and tests/soak/run.sh.
"""
import os
import selectors
import signal
import socket
import sys
import time

cut = False
state_file = None


def on_signal(signum, _frame):
    """Takes effect at once: after this returns nothing more is forwarded (or, healed, it is)."""
    global cut
    cut = signum == signal.SIGUSR1
    with open(state_file, "w") as f:
        f.write("cut\n" if cut else "open\n")


def main():
    global state_file
    target, port_file = int(sys.argv[1]), sys.argv[2]
    state_file = port_file + ".state"
    signal.signal(signal.SIGUSR1, on_signal)
    signal.signal(signal.SIGUSR2, on_signal)
    listener = socket.create_server(("127.0.0.1", 0))
    with open(port_file + ".tmp", "w") as f:
        f.write(str(listener.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ)
    peers = {}
    while True:
        if cut:  # nothing moves; the kernel still holds what either side sent
            time.sleep(0.05)
            continue
        for key, _ in sel.select(timeout=0.05):
            if key.fileobj is listener:
                client, _ = listener.accept()
                try:
                    server = socket.create_connection(("127.0.0.1", target))
                except OSError:  # the server is down (restarting): the client sees a closed connection
                    client.close()
                    continue
                peers[client], peers[server] = server, client
                sel.register(client, selectors.EVENT_READ)
                sel.register(server, selectors.EVENT_READ)
            elif not cut and key.fileobj in peers:
                forward(sel, peers, key.fileobj)


def forward(sel, peers, src):
    dst = peers[src]
    try:
        data = src.recv(65536)
    except OSError:
        data = b""
    if data:
        try:
            dst.sendall(data)
            return
        except OSError:  # the other side is gone: close both
            pass
    for s in (src, dst):
        sel.unregister(s)
        peers.pop(s, None)
        s.close()


if __name__ == "__main__":
    main()
