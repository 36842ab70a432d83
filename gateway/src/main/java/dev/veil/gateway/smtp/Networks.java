package dev.veil.gateway.smtp;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A list of CIDR blocks ({@code 192.0.2.0/24}, {@code 2001:db8::/32}, or a single address) that client addresses
 * are matched against, Postfix {@code mynetworks}-style. Parsed once at start; a bad entry stops the start with a
 * message naming it.
 */
public final class Networks {
    private static final Pattern LITERAL = Pattern.compile("[0-9A-Fa-f:.]+");
    private final List<Block> blocks;

    private record Block(byte[] network, int prefix) {
        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = 0xFF << (8 - rest) & 0xFF;
            return (address[full] & mask) == (network[full] & mask);
        }
    }

    private Networks(List<Block> blocks) {
        this.blocks = List.copyOf(blocks);
    }

    /**
     * @param setting the configuration key, for error messages ({@code outbound.allowedNetworks})
     * @throws IllegalArgumentException naming the entry that is not a CIDR block
     */
    public static Networks parse(String setting, List<String> cidrs) {
        List<Block> blocks = new ArrayList<>();
        for (String entry : cidrs) {
            String e = entry == null ? "" : entry.strip();
            int slash = e.indexOf('/');
            String host = slash < 0 ? e : e.substring(0, slash);
            // literals only: a host name here would mean a DNS lookup at start and a trust decision based on it
            if (!LITERAL.matcher(host).matches() || (host.indexOf(':') < 0 && host.chars().filter(c -> c == '.').count() != 3)) {
                throw new IllegalArgumentException(setting + ": '" + entry + "' is not an IP address or CIDR block"
                        + " (write e.g. 192.0.2.0/24 or 2001:db8::/32)");
            }
            byte[] network;
            try {
                network = InetAddress.getByName(host).getAddress();
            } catch (UnknownHostException ex) {
                throw new IllegalArgumentException(setting + ": '" + entry + "' is not an IP address or CIDR block", ex);
            }
            int prefix = network.length * 8;
            if (slash >= 0) {
                try {
                    prefix = Integer.parseInt(e.substring(slash + 1));
                } catch (NumberFormatException ex) {
                    prefix = -1;
                }
                if (prefix < 0 || prefix > network.length * 8) {
                    throw new IllegalArgumentException(setting + ": '" + entry + "' has a prefix length outside 0.."
                            + network.length * 8);
                }
            }
            blocks.add(new Block(network, prefix));
        }
        return new Networks(blocks);
    }

    /**
     * What a client is counted under by per-client limits: its IPv4 address, or the /64 of its IPv6 address, which one
     * host usually holds whole.
     */
    static String clientKey(InetAddress address) {
        byte[] bytes = address.getAddress();
        return bytes.length == 16 ? "v6:" + java.util.HexFormat.of().formatHex(bytes, 0, 8) : address.getHostAddress();
    }

    public boolean contains(InetAddress address) {
        if (address == null) {
            return false;
        }
        byte[] bytes = address.getAddress();
        for (Block block : blocks) {
            if (block.contains(bytes)) {
                return true;
            }
        }
        return false;
    }
}
