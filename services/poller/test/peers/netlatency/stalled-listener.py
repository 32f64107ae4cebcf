#!/usr/bin/python3
"""A TCP peer that never completes a handshake, on 127.0.0.1 only: it listens with a
backlog of 0, never accepts, and fills its own queue, so the kernel drops further SYNs
and a client's connect() hangs (a peer behind a black hole, without leaving loopback).
Prints the port once ready; exits when stdin closes."""
import socket, sys, time

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(('127.0.0.1', 0))
server.listen(0)
port = server.getsockname()[1]
fillers = []
for _ in range(4):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect(('127.0.0.1', port))
    except BlockingIOError:
        pass
    fillers.append(s)
time.sleep(0.2)
print(port, flush=True)
sys.stdin.read()
