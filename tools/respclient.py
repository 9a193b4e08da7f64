"""respclient: a minimal, exact RESP2 client for tests that compare raw replies.

Job: send commands as multibulk arrays and decode replies without any
interpretation, so two servers' answers can be compared byte for byte
(redis-py converts replies per command, which would hide differences).

Contract: replies decode to
  Status(b"OK")      for +...      Error(b"ERR ...")  for -...
  int                for :...      bytes / None       for $... / $-1
  list / None        for *... / *-1
`call(*args)` sends one command and returns its reply; `pipeline(cmds)` sends
many in one write and returns the replies in order. Arguments may be bytes,
str (UTF-8) or int. A closed connection raises ConnectionError.

Tricky bit: the reader buffers; a reply split across recv() calls is completed
by reading more, never by guessing.
"""

import socket


class Status(bytes):
    """A +status reply."""

    def __repr__(self):
        return "Status(%s)" % bytes.__repr__(self)


class Error(bytes):
    """A -error reply (the text after '-')."""

    def __repr__(self):
        return "Error(%s)" % bytes.__repr__(self)


def encode_command(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class RespClient:
    def __init__(self, port, host="127.0.0.1", timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.pos = 0

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def send_raw(self, data):
        self.sock.sendall(data)

    def call(self, *args):
        self.sock.sendall(encode_command(args))
        return self.read_reply()

    def pipeline(self, commands):
        self.sock.sendall(b"".join(encode_command(c) for c in commands))
        return [self.read_reply() for _ in commands]

    # -- reading --

    def _fill(self):
        if self.pos > 65536:
            del self.buf[:self.pos]
            self.pos = 0
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("connection closed by server")
        self.buf += chunk

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                line = bytes(self.buf[self.pos:i])
                self.pos = i + 2
                return line
            self._fill()

    def _exact(self, n):
        while len(self.buf) - self.pos < n + 2:
            self._fill()
        data = bytes(self.buf[self.pos:self.pos + n])
        if self.buf[self.pos + n:self.pos + n + 2] != b"\r\n":
            raise ValueError("bulk reply not terminated by CRLF")
        self.pos += n + 2
        return data

    def read_reply(self):
        line = self._line()
        if not line:
            raise ValueError("empty reply line")
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return Status(rest)
        if kind == b"-":
            return Error(rest)
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read_reply() for _ in range(n)]
        raise ValueError("unexpected reply type %r" % line[:40])

    def read_until_closed(self, timeout=5.0):
        """Everything the server sends until it closes the connection (bounded by timeout)."""
        self.sock.settimeout(timeout)
        data = bytes(self.buf[self.pos:])
        self.buf.clear()
        self.pos = 0
        while True:
            try:
                chunk = self.sock.recv(1 << 16)
            except socket.timeout:
                raise TimeoutError("server did not close the connection; got %r" % data[:200])
            except ConnectionResetError:
                return data
            if not chunk:
                return data
            data += chunk
