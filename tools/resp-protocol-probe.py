#!/usr/bin/env python3
"""resp-protocol-probe: send raw request bytes to servers and compare replies.

Each case opens a fresh connection, sends the bytes, and records the reply and
whether the server closed the connection or left it waiting. With two ports it
prints only the cases where the servers differ (e.g. redis-server vs
cairn-server); with one it prints every outcome. The cases are the ones the
RESP unit tests pin down (Tests/RESPTests), so a difference here is a
difference on the wire. Loopback only; each wait is bounded.

Usage: tools/resp-protocol-probe.py PORT [OTHER_PORT]
"""
import socket
import sys

K = 64 * 1024
CASES = [
    b"*1\r\n$4\r\nPING\r\n", b"*0\r\nPING\r\n", b"*-1\r\nPING\r\n", b"*01\r\n$4\r\nPING\r\n",
    b"*-0\r\nPING\r\n", b"*+1\r\n", b"*\r\n", b"*x\r\n", b"*1\r\n$01\r\nP\r\n", b"*1\r\n$-0\r\n\r\n",
    b"*1\r\n$-1\r\n", b"*1\r\n$+4\r\n", b"*1\r\n$abc\r\n", b"*1\r\n$536870913\r\n", b"*1\r\nx4\r\nPING\r\n",
    b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n", b"*1048577\r\n", b"*1\r\n$4\r\nPINGxyPING\r\n",
    b"PING\n", b"\r\nPING\r\n", b"   \r\nPING\r\n", b'ECHO "a\\x41\\x4g\\n"\r\n', b'ECHO "unbalanced\r\n',
    b"ECHO 'a'b\r\n", b"ECHO 'it\\'s'\r\n", b"ECHO a\x0bb\r\n", b'ECHO "x\\"\r\n', b"ECHO a\rb\r\n",
    b"a" * (K + 1), b"*" + b"1" * K, b"*1\r\n$" + b"1" * K,
]


def probe(port, data, wait=0.3):
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    s.settimeout(wait)
    s.sendall(data)
    out, state = b"", "waiting"
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                state = "closed"
                break
            out += chunk
    except socket.timeout:
        pass
    finally:
        s.close()
    return out, state


def main():
    ports = [int(p) for p in sys.argv[1:3]]
    if not ports:
        sys.exit(__doc__)
    differences = 0
    for case in CASES:
        results = [probe(p, case) for p in ports]
        shown = repr(case if len(case) < 80 else case[:40] + b"...(%d bytes)" % len(case))
        if len(ports) == 1:
            print(shown, "->", repr(results[0][0][:200]), results[0][1])
        elif results[0] != results[1]:
            differences += 1
            print(shown)
            for port, (reply, state) in zip(ports, results):
                print("   ", port, repr(reply[:200]), state)
    if len(ports) == 2:
        print("%d of %d cases differ" % (differences, len(CASES)))
        sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
