"""A DNS server on 127.0.0.1 for the tests: A records from a table the
test changes as it goes, with a TTL of 0; other names are NXDOMAIN and
other types of a known name empty answers."""

import socket
import struct
import threading


class FakeDns:
    """A DNS server on 127.0.0.1 answering A queries from a table, with a
    TTL of 0; other names are NXDOMAIN."""

    def __init__(self, table):
        self.table = dict(table)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.queries = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.serve)
        self.thread.start()

    def serve(self):
        while not self.stopped.is_set():
            try:
                data, peer = self.sock.recvfrom(512)
            except socket.timeout:
                continue
            except OSError:
                return
            self.sock.sendto(self.answer(data), peer)

    def answer(self, query):
        qid = query[:2]
        pos, labels = 12, []
        while query[pos]:
            labels.append(query[pos + 1:pos + 1 + query[pos]].decode())
            pos += 1 + query[pos]
        qtype = struct.unpack("!H", query[pos + 1:pos + 3])[0]
        question = query[12:pos + 5]
        name = ".".join(labels).lower()
        self.queries.append((name, qtype))
        address = self.table.get(name)
        if address is None:
            return qid + struct.pack("!HHHHH", 0x8183, 1, 0, 0, 0) + question
        if qtype != 1:
            return qid + struct.pack("!HHHHH", 0x8180, 1, 0, 0, 0) + question
        return (qid + struct.pack("!HHHHH", 0x8180, 1, 1, 0, 0) + question
                + struct.pack("!HHHIH", 0xc00c, 1, 1, 0, 4)
                + socket.inet_aton(address))

    def stop(self):
        self.stopped.set()
        self.thread.join(5)
        self.sock.close()
