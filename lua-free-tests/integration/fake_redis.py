"""A small RESP server for fault injection: it answers the connection
handshake (AUTH, SELECT, PING, ROLE: a master) at once, and every other
command after a delay, or with an error."""

import socket
import threading
import time


class FakeRedis:
    def __init__(self, delay=0.0, error=None):
        self.delay = delay
        self.error = error
        self.commands = []
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.closed = False
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(conn,),
                             daemon=True).start()

    @staticmethod
    def read_command(f):
        line = f.readline()
        if not line:
            return None
        assert line.startswith(b"*"), line
        args = []
        for _ in range(int(line[1:])):
            size = int(f.readline()[1:])
            args.append(f.read(size + 2)[:-2])
        return args

    def serve(self, conn):
        f = conn.makefile("rb")
        try:
            while True:
                cmd = self.read_command(f)
                if cmd is None:
                    return
                name = cmd[0].upper()
                self.commands.append(name.decode())
                if name in (b"AUTH", b"SELECT"):
                    conn.sendall(b"+OK\r\n")
                elif name == b"PING":
                    conn.sendall(b"+PONG\r\n")
                elif name == b"ROLE":
                    conn.sendall(b"*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n")
                else:
                    if self.delay:
                        time.sleep(self.delay)
                    if self.error:
                        conn.sendall(b"-" + self.error.encode() + b"\r\n")
                    else:
                        conn.sendall(b"*4\r\n:1\r\n:0\r\n:9\r\n:100\r\n")
        except OSError:
            pass
        finally:
            conn.close()

    def stop(self):
        self.closed = True
        self.sock.close()
