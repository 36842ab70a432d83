package dev.veil.tests.support;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * A real, small authoritative DNS server for tests: UDP and TCP on one loopback port, answering from a zone the test
 * builds ({@link #txt}, {@link #a}, {@link #aaaa}, {@link #mx}), NXDOMAIN for unknown names, NODATA for known names
 * without the asked type, SERVFAIL for names marked {@link #serverFailure}. UDP answers longer than the client can take
 * (512 octets, or its EDNS size) are truncated with TC set, so clients retry over TCP as in real life. Messages are
 * dnsjava's wire format, so what Veil's resolver parses is real DNS.
 */
public final class TestDnsServer implements AutoCloseable {
    private static final long TTL = 60;
    private final DatagramSocket udp;
    private final ServerSocket tcp;
    private final Map<String, List<Record>> zone = new ConcurrentHashMap<>();
    private final Set<String> failing = ConcurrentHashMap.newKeySet();
    private final List<String> asked = new CopyOnWriteArrayList<>();
    private final AtomicInteger tcpQueries = new AtomicInteger();
    private volatile boolean closed;

    private TestDnsServer(DatagramSocket udp, ServerSocket tcp) {
        this.udp = udp;
        this.tcp = tcp;
    }

    /** Starts on 127.0.0.1 on a free port (the same number for UDP and TCP). */
    public static TestDnsServer start() throws IOException {
        for (int attempt = 0; ; attempt++) {
            DatagramSocket udp = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            try {
                ServerSocket tcp = new ServerSocket();
                tcp.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), udp.getLocalPort()));
                TestDnsServer server = new TestDnsServer(udp, tcp);
                server.serve();
                return server;
            } catch (IOException e) {
                udp.close();
                if (attempt > 20) {
                    throw e;
                }
            }
        }
    }

    /** {@code 127.0.0.1:PORT}, as {@code auth.dnsServers} takes it. */
    public String address() {
        return "127.0.0.1:" + udp.getLocalPort();
    }

    public int port() {
        return udp.getLocalPort();
    }

    /** A TXT record; values longer than 255 characters are split into several strings, as in a zone file. */
    public TestDnsServer txt(String name, String value) {
        List<String> strings = new ArrayList<>();
        for (int i = 0; i < value.length(); i += 255) {
            strings.add(value.substring(i, Math.min(value.length(), i + 255)));
        }
        if (strings.isEmpty()) {
            strings.add("");
        }
        return add(new TXTRecord(name(name), DClass.IN, TTL, strings));
    }

    public TestDnsServer a(String name, String address) {
        try {
            return add(new ARecord(name(name), DClass.IN, TTL, InetAddress.getByName(address)));
        } catch (IOException e) {
            throw new IllegalArgumentException(address, e);
        }
    }

    public TestDnsServer aaaa(String name, String address) {
        try {
            return add(new AAAARecord(name(name), DClass.IN, TTL, InetAddress.getByName(address)));
        } catch (IOException e) {
            throw new IllegalArgumentException(address, e);
        }
    }

    public TestDnsServer mx(String name, int priority, String exchange) {
        return add(new MXRecord(name(name), DClass.IN, TTL, priority, name(exchange)));
    }

    /** Every question about this name gets SERVFAIL (a temporary error for the client). */
    public TestDnsServer serverFailure(String name) {
        failing.add(key(name));
        return this;
    }

    /** The questions received, as {@code TYPE name}, in order. */
    public List<String> questions() {
        return List.copyOf(asked);
    }

    /** How many questions came over TCP. */
    public int tcpQueries() {
        return tcpQueries.get();
    }

    private TestDnsServer add(Record record) {
        zone.computeIfAbsent(key(record.getName().toString()), k -> new CopyOnWriteArrayList<>()).add(record);
        return this;
    }

    private static Name name(String name) {
        try {
            return Name.fromString(name.endsWith(".") ? name : name + ".");
        } catch (TextParseException e) {
            throw new IllegalArgumentException(name, e);
        }
    }

    private static String key(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n : n + ".";
    }

    private void serve() {
        Thread udpThread = new Thread(() -> {
            byte[] buffer = new byte[4096];
            while (!closed) {
                try {
                    DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                    udp.receive(packet);
                    Message query = new Message(java.util.Arrays.copyOf(packet.getData(), packet.getLength()));
                    OPTRecord opt = query.getOPT();
                    int max = opt == null ? 512 : Math.max(512, opt.getPayloadSize());
                    byte[] answer = answer(query).toWire(max);
                    udp.send(new DatagramPacket(answer, answer.length, packet.getSocketAddress()));
                } catch (IOException | RuntimeException e) {
                    if (closed) {
                        return;
                    }
                }
            }
        }, "test-dns-udp");
        udpThread.setDaemon(true);
        udpThread.start();
        Thread tcpThread = new Thread(() -> {
            while (!closed) {
                try (Socket socket = tcp.accept()) {
                    socket.setSoTimeout(5000);
                    DataInputStream in = new DataInputStream(socket.getInputStream());
                    DataOutputStream out = new DataOutputStream(socket.getOutputStream());
                    while (true) {
                        int length;
                        try {
                            length = in.readUnsignedShort();
                        } catch (IOException end) {
                            break;
                        }
                        byte[] bytes = new byte[length];
                        in.readFully(bytes);
                        tcpQueries.incrementAndGet();
                        byte[] answer = answer(new Message(bytes)).toWire();
                        out.writeShort(answer.length);
                        out.write(answer);
                        out.flush();
                    }
                } catch (IOException | RuntimeException e) {
                    if (closed) {
                        return;
                    }
                }
            }
        }, "test-dns-tcp");
        tcpThread.setDaemon(true);
        tcpThread.start();
    }

    private Message answer(Message query) {
        Message response = new Message(query.getHeader().getID());
        response.getHeader().setFlag(Flags.QR);
        response.getHeader().setFlag(Flags.AA);
        if (query.getHeader().getFlag(Flags.RD)) {
            response.getHeader().setFlag(Flags.RD);
        }
        Record question = query.getQuestion();
        if (question == null) {
            response.getHeader().setRcode(Rcode.FORMERR);
            return response;
        }
        response.addRecord(question, Section.QUESTION);
        String name = key(question.getName().toString());
        asked.add(Type.string(question.getType()) + " " + name);
        if (failing.contains(name)) {
            response.getHeader().setRcode(Rcode.SERVFAIL);
            return response;
        }
        List<Record> records = zone.get(name);
        if (records == null) {
            response.getHeader().setRcode(Rcode.NXDOMAIN);
            return response;
        }
        for (Record r : records) {
            if (r.getType() == question.getType()) {
                response.addRecord(r, Section.ANSWER);
            }
        }
        return response;
    }

    @Override
    public void close() {
        closed = true;
        udp.close();
        try {
            tcp.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
