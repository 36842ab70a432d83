package dev.veil.tests.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.gateway.auth.DnsResolver;
import dev.veil.gateway.auth.SpfEvaluator;
import dev.veil.gateway.auth.SpfResult;
import dev.veil.tests.support.TestDnsServer;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** SPF (RFC 7208) against a real DNS server serving each test's zone. */
class SpfEvaluatorTest {
    private TestDnsServer dns;
    private SpfEvaluator spf;

    @BeforeEach
    void start() throws Exception {
        dns = TestDnsServer.start();
        spf = new SpfEvaluator(new DnsResolver(List.of(dns.address()), Duration.ofSeconds(2)));
    }

    @AfterEach
    void stop() {
        dns.close();
    }

    private SpfResult check(String ip, String domain) throws Exception {
        return spf.evaluate(InetAddress.getByName(ip), domain, "alice@" + domain, "mail." + domain);
    }

    @Test
    void ip4WithAndWithoutPrefixAndTheQualifiersOfAll() throws Exception {
        dns.txt("a.example", "v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.7 -all");
        dns.txt("b.example", "v=spf1 ip4:192.0.2.1 ~all");
        dns.txt("c.example", "v=spf1 ?all");
        dns.txt("d.example", "v=spf1 +all");
        assertThat(check("192.0.2.200", "a.example")).isEqualTo(SpfResult.PASS);
        assertThat(check("198.51.100.7", "a.example")).isEqualTo(SpfResult.PASS);
        assertThat(check("198.51.100.8", "a.example")).isEqualTo(SpfResult.FAIL);
        assertThat(check("192.0.2.2", "b.example")).isEqualTo(SpfResult.SOFTFAIL);
        assertThat(check("192.0.2.2", "c.example")).isEqualTo(SpfResult.NEUTRAL);
        assertThat(check("192.0.2.2", "d.example")).isEqualTo(SpfResult.PASS);
    }

    @Test
    void noMechanismMatchingIsNeutralAndNoRecordIsNone() throws Exception {
        dns.txt("a.example", "v=spf1 ip4:192.0.2.1");
        dns.txt("b.example", "some other text");
        assertThat(check("192.0.2.2", "a.example")).isEqualTo(SpfResult.NEUTRAL);
        assertThat(check("192.0.2.2", "b.example")).isEqualTo(SpfResult.NONE);
        assertThat(check("192.0.2.2", "nothing.example")).isEqualTo(SpfResult.NONE);
    }

    @Test
    void twoRecordsOrABadTermArePermerror() throws Exception {
        dns.txt("a.example", "v=spf1 -all").txt("a.example", "v=spf1 +all");
        dns.txt("b.example", "v=spf1 ip4:192.0.2.999 -all");
        dns.txt("c.example", "v=spf1 frobnicate -all");
        assertThat(check("192.0.2.2", "a.example")).isEqualTo(SpfResult.PERMERROR);
        assertThat(check("192.0.2.2", "b.example")).isEqualTo(SpfResult.PERMERROR);
        assertThat(check("192.0.2.2", "c.example")).isEqualTo(SpfResult.PERMERROR);
    }

    @Test
    void ip6WithPrefix() throws Exception {
        dns.txt("a.example", "v=spf1 ip6:2001:db8:1::/48 -all");
        assertThat(check("2001:db8:1:ffff::25", "a.example")).isEqualTo(SpfResult.PASS);
        assertThat(check("2001:db8:2::25", "a.example")).isEqualTo(SpfResult.FAIL);
        assertThat(check("192.0.2.1", "a.example")).isEqualTo(SpfResult.FAIL);
    }

    @Test
    void aAndMxWithDomainsAndPrefixes() throws Exception {
        dns.txt("a.example", "v=spf1 a -all").a("a.example", "192.0.2.10");
        dns.txt("b.example", "v=spf1 a:hosts.b.example/28 -all").a("hosts.b.example", "198.51.100.1");
        dns.txt("c.example", "v=spf1 mx -all").mx("c.example", 10, "mx1.c.example").mx("c.example", 20, "mx2.c.example")
                .a("mx1.c.example", "192.0.2.21").a("mx2.c.example", "192.0.2.22")
                .aaaa("mx2.c.example", "2001:db8::22");
        dns.txt("d.example", "v=spf1 mx:c.example//64 -all");
        assertThat(check("192.0.2.10", "a.example")).isEqualTo(SpfResult.PASS);
        assertThat(check("192.0.2.11", "a.example")).isEqualTo(SpfResult.FAIL);
        assertThat(check("198.51.100.15", "b.example")).isEqualTo(SpfResult.PASS);
        assertThat(check("198.51.100.16", "b.example")).isEqualTo(SpfResult.FAIL);
        assertThat(check("192.0.2.22", "c.example")).isEqualTo(SpfResult.PASS);
        assertThat(check("192.0.2.23", "c.example")).isEqualTo(SpfResult.FAIL);
        assertThat(check("2001:db8::1:2", "d.example")).isEqualTo(SpfResult.PASS);
        assertThat(check("2001:db8:0:1::22", "d.example")).isEqualTo(SpfResult.FAIL);
    }

    @Test
    void includeMatchesOnlyOnPassAndNeedsARecord() throws Exception {
        dns.txt("a.example", "v=spf1 include:esp.example -all");
        dns.txt("esp.example", "v=spf1 ip4:203.0.113.0/24 ~all");
        dns.txt("b.example", "v=spf1 include:nospf.example -all");
        assertThat(check("203.0.113.9", "a.example")).isEqualTo(SpfResult.PASS);
        // the included record's softfail is only "no match": the including record's -all decides
        assertThat(check("192.0.2.9", "a.example")).isEqualTo(SpfResult.FAIL);
        assertThat(check("192.0.2.9", "b.example")).isEqualTo(SpfResult.PERMERROR);
    }

    @Test
    void redirectAppliesOnlyWhenNothingMatched() throws Exception {
        dns.txt("a.example", "v=spf1 ip4:192.0.2.1 redirect=_spf.a.example");
        dns.txt("_spf.a.example", "v=spf1 ip4:198.51.100.0/24 -all");
        dns.txt("b.example", "v=spf1 -all redirect=_spf.a.example");
        dns.txt("c.example", "v=spf1 redirect=nospf.example");
        assertThat(check("192.0.2.1", "a.example")).isEqualTo(SpfResult.PASS);
        assertThat(check("198.51.100.3", "a.example")).isEqualTo(SpfResult.PASS);
        assertThat(check("203.0.113.3", "a.example")).isEqualTo(SpfResult.FAIL);
        assertThat(check("198.51.100.3", "b.example")).isEqualTo(SpfResult.FAIL);
        assertThat(check("198.51.100.3", "c.example")).isEqualTo(SpfResult.PERMERROR);
    }

    @Test
    void tenDnsLookupsAreAllowedAndTheEleventhIsPermerror() throws Exception {
        // ten includes in a chain: l0 -> l1 -> ... -> l10 (l10 passes)
        for (int i = 0; i < 10; i++) {
            dns.txt("l" + i + ".example", "v=spf1 include:l" + (i + 1) + ".example -all");
        }
        dns.txt("l10.example", "v=spf1 ip4:192.0.2.1 -all");
        assertThat(check("192.0.2.1", "l0.example")).isEqualTo(SpfResult.PASS);
        for (int i = 0; i < 11; i++) {
            dns.txt("m" + i + ".example", "v=spf1 include:m" + (i + 1) + ".example -all");
        }
        dns.txt("m11.example", "v=spf1 ip4:192.0.2.1 -all");
        assertThat(check("192.0.2.1", "m0.example")).isEqualTo(SpfResult.PERMERROR);
    }

    @Test
    void twoVoidLookupsAreAllowedAndTheThirdIsPermerror() throws Exception {
        dns.txt("a.example", "v=spf1 a:gone1.example a:gone2.example ip4:192.0.2.1 -all");
        dns.txt("b.example", "v=spf1 a:gone1.example a:gone2.example mx:gone3.example ip4:192.0.2.1 -all");
        assertThat(check("192.0.2.1", "a.example")).isEqualTo(SpfResult.PASS);
        assertThat(check("192.0.2.1", "b.example")).isEqualTo(SpfResult.PERMERROR);
    }

    @Test
    void aServerFailureIsTemperror() throws Exception {
        dns.serverFailure("a.example");
        dns.txt("b.example", "v=spf1 include:a.example -all");
        assertThat(check("192.0.2.1", "a.example")).isEqualTo(SpfResult.TEMPERROR);
        assertThat(check("192.0.2.1", "b.example")).isEqualTo(SpfResult.TEMPERROR);
    }

    @Test
    void macrosExpandTheClientAddressAndDomain() throws Exception {
        dns.txt("a.example", "v=spf1 exists:%{ir}.%{l1r-}.allow.%{d} -all");
        dns.a("1.2.0.192.alice.allow.a.example", "127.0.0.2");
        assertThat(check("192.0.2.1", "a.example")).isEqualTo(SpfResult.PASS);
        assertThat(check("192.0.2.2", "a.example")).isEqualTo(SpfResult.FAIL);
    }

    @Test
    void aRecordTooLongForUdpIsFetchedOverTcp() throws Exception {
        StringBuilder record = new StringBuilder("v=spf1");
        for (int i = 1; i <= 200; i++) { // about 3.5 KB: over any EDNS UDP size
            record.append(" ip4:198.51.").append(i).append(".1");
        }
        dns.txt("big.example", record + " ip4:192.0.2.77 -all");
        assertThat(check("192.0.2.77", "big.example")).isEqualTo(SpfResult.PASS);
        assertThat(dns.tcpQueries()).isPositive();
    }

    @Test
    void theNullSenderIsCheckedWithTheHeloName() throws Exception {
        dns.txt("relay.a.example", "v=spf1 ip4:192.0.2.5 -all");
        SpfEvaluator.Verdict bounce = spf.check(InetAddress.getByName("192.0.2.5"), "", "relay.a.example");
        assertThat(bounce.result()).isEqualTo(SpfResult.PASS);
        assertThat(bounce.property()).isEqualTo("smtp.helo");
        SpfEvaluator.Verdict normal = spf.check(InetAddress.getByName("192.0.2.6"), "x@relay.a.example", "h");
        assertThat(normal.result()).isEqualTo(SpfResult.FAIL);
        assertThat(normal.property()).isEqualTo("smtp.mailfrom");
    }

    @Test
    void anIpv4MappedClientIsCheckedAsIpv4() throws Exception {
        // RFC 7208 5: an IPv4-mapped IPv6 client address is an IPv4 address
        dns.txt("a.example", "v=spf1 ip4:192.0.2.0/24 a:host.a.example -all");
        dns.a("host.a.example", "198.51.100.1");
        dns.txt("b.example", "v=spf1 exists:%{ir}.%{v}.b.example -all").a("1.2.0.192.in-addr.b.example", "127.0.0.2");
        assertThat(check("::ffff:192.0.2.9", "a.example")).isEqualTo(SpfResult.PASS);
        assertThat(check("::ffff:198.51.100.1", "a.example")).isEqualTo(SpfResult.PASS);
        assertThat(check("::ffff:192.0.2.1", "b.example")).isEqualTo(SpfResult.PASS);
    }

    @Test
    void macrosOfIpv6AndTheOtherLetters() throws Exception {
        dns.txt("a.example", "v=spf1 exists:%{i}.%{v}.%{d2}.%{h}.%{l-}.%{o}.q.example -all");
        String ip6 = "2001:db8::cb01";
        String nibbles = "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1";
        dns.a(nibbles + ".ip6.a.example.helo.example.first.last.sub.a.example.q.example", "127.0.0.2");
        dns.txt("sub.a.example", "v=spf1 redirect=a.example");
        assertThat(spf.evaluate(InetAddress.getByName(ip6), "sub.a.example", "first-last@sub.a.example", "helo.example"))
                .isEqualTo(SpfResult.PASS);
        dns.txt("b.example", "v=spf1 exists:%%%_%-.%{ir}.b.example -all");
        assertThat(check("192.0.2.1", "b.example")).isEqualTo(SpfResult.FAIL);
        assertThat(dns.questions()).contains("A %\\032%20.1.2.0.192.b.example.");
    }

    @Test
    void aSyntaxErrorAnywhereIsPermerrorEvenAfterAMatch() throws Exception {
        // RFC 7208 4.6: a syntax error anywhere in the record makes check_host() return permerror before evaluating
        dns.txt("a.example", "v=spf1 ip4:192.0.2.1 frobnicate -all");
        dns.txt("b.example", "v=spf1 +all ip4:192.0.2.300");
        dns.txt("c.example", "v=spf1 ip4:192.0.2.1 a//129");
        dns.txt("d.example", "v=spf1 ip4:192.0.2.1 include");
        dns.txt("e.example", "v=spf1 ip4:192.0.2.1 exists:%{q}.example");
        dns.txt("f.example", "v=spf1 ip4:192.0.2.1 redirect=%{x}.example");
        dns.txt("g.example", "v=spf1 ip4:192.0.2.1 ptr/24");
        dns.txt("h.example", "v=spf1 ip4:192.0.2.1 unknown=%z");
        for (String domain : List.of("a", "b", "c", "d", "e", "f", "g", "h")) {
            assertThat(check("192.0.2.1", domain + ".example")).as(domain).isEqualTo(SpfResult.PERMERROR);
        }
        // unknown modifiers with a valid macro-string are still ignored
        dns.txt("i.example", "v=spf1 ip4:192.0.2.1 foo=%{d}.bar -all");
        assertThat(check("192.0.2.1", "i.example")).isEqualTo(SpfResult.PASS);
    }

    @Test
    void twoExpModifiersArePermerror() throws Exception {
        // RFC 7208 6: redirect and exp MUST NOT appear more than once each; if they do, the result is permerror
        dns.txt("a.example", "v=spf1 exp=one.a.example exp=two.a.example ip4:192.0.2.1 -all");
        dns.txt("b.example", "v=spf1 exp=one.b.example ip4:192.0.2.1 -all");
        assertThat(check("192.0.2.1", "a.example")).isEqualTo(SpfResult.PERMERROR);
        assertThat(check("192.0.2.1", "b.example")).isEqualTo(SpfResult.PASS);
    }

    @Test
    void aDomainSpecMustEndInATopLabelOrAMacro() throws Exception {
        // RFC 7208 7.1: domain-end = ( "." toplabel [ "." ] ) / macro-expand; toplabel is not all digits
        dns.txt("a.example", "v=spf1 a:museum ~all");
        dns.txt("b.example", "v=spf1 a:192.0.2.1 ~all");
        dns.txt("c.example", "v=spf1 include:example- ~all");
        dns.txt("d.example", "v=spf1 a:host.d.example. ~all").a("host.d.example", "192.0.2.1");
        dns.txt("e.example", "v=spf1 a:%{d} ~all").a("e.example", "192.0.2.1");
        dns.txt("f.example", "v=spf1 mx:e-x.f.example ~all");
        assertThat(check("192.0.2.1", "a.example")).isEqualTo(SpfResult.PERMERROR);
        assertThat(check("192.0.2.1", "b.example")).isEqualTo(SpfResult.PERMERROR);
        assertThat(check("192.0.2.1", "c.example")).isEqualTo(SpfResult.PERMERROR);
        assertThat(check("192.0.2.1", "d.example")).isEqualTo(SpfResult.PASS);
        assertThat(check("192.0.2.1", "e.example")).isEqualTo(SpfResult.PASS);
        assertThat(check("192.0.2.1", "f.example")).isEqualTo(SpfResult.SOFTFAIL);
    }

    @Test
    void upperCaseMacrosAreUrlEscaped() throws Exception {
        // RFC 7208 7.3: uppercase macros expand as their lowercase forms and are then URL-escaped (RFC 3986 unreserved kept)
        dns.txt("a.example", "v=spf1 exists:%{L}.allow.%{d} -all");
        dns.a("jo%2Bhn~x.allow.a.example", "127.0.0.2");
        SpfResult result = spf.evaluate(InetAddress.getByName("192.0.2.1"), "a.example", "jo+hn~x@a.example", "h.example");
        assertThat(dns.questions()).contains("A jo%2bhn~x.allow.a.example.");
        assertThat(result).isEqualTo(SpfResult.PASS);
    }

    @Test
    void aZeroDigitTransformerIsPermerror() throws Exception {
        // RFC 7208 7.3: if a DIGIT transformer is given, its value MUST be nonzero
        dns.txt("a.example", "v=spf1 exists:%{d0}.allow.example -all");
        dns.a("a.example.allow.example", "127.0.0.2");
        assertThat(check("192.0.2.1", "a.example")).isEqualTo(SpfResult.PERMERROR);
        // a nonzero count with a leading zero is valid: the last part of a.example
        dns.txt("b.example", "v=spf1 exists:%{d01}.allow.example -all");
        dns.a("example.allow.example", "127.0.0.2");
        assertThat(check("192.0.2.1", "b.example")).isEqualTo(SpfResult.PASS);
    }

    @Test
    void aFullyQualifiedDomainWithItsRootDotIsChecked() throws Exception {
        // RFC 7208 4.3: only a zero-length label not at the end makes a domain malformed
        dns.txt("a.example", "v=spf1 ip4:192.0.2.1 -all");
        assertThat(spf.check(InetAddress.getByName("192.0.2.1"), "alice@a.example.", "h.example").result())
                .isEqualTo(SpfResult.PASS);
        assertThat(spf.check(InetAddress.getByName("192.0.2.2"), "alice@A.Example.", "h.example").result())
                .isEqualTo(SpfResult.FAIL);
        assertThat(spf.check(InetAddress.getByName("192.0.2.1"), "", "a.example.").result())
                .isEqualTo(SpfResult.PASS);
        // still malformed: an empty label inside, a label over 63 octets
        assertThat(spf.check(InetAddress.getByName("192.0.2.1"), "alice@a..example", "h").result())
                .isEqualTo(SpfResult.NONE);
        assertThat(spf.check(InetAddress.getByName("192.0.2.1"), "alice@" + "x".repeat(64) + ".example", "h").result())
                .isEqualTo(SpfResult.NONE);
    }

    @Test
    void aSenderWithoutLocalPartIsPostmaster() throws Exception {
        // RFC 7208 4.3: if the sender has no local-part, "postmaster" is substituted (so %{s} and %{l} see it)
        dns.txt("a.example", "v=spf1 exists:%{s}.allow.example -all");
        dns.a("postmaster@a.example.allow.example", "127.0.0.2");
        assertThat(spf.check(InetAddress.getByName("192.0.2.1"), "@a.example", "h.example").result())
                .isEqualTo(SpfResult.PASS);
    }

    @Test
    void ip4AndPrefixLengthsAreStrictLiterals() throws Exception {
        // RFC 7208 5.6 ABNF: qnum has no leading zeros; cidr lengths are plain digits without leading zeros
        dns.txt("a.example", "v=spf1 ip4:192.0.2.01 -all");
        dns.txt("b.example", "v=spf1 ip4:192.0.2.0/+24 -all");
        dns.txt("c.example", "v=spf1 ip4:192.0.2.0/024 -all");
        dns.txt("d.example", "v=spf1 a/+24 -all").a("d.example", "192.0.2.1");
        dns.txt("e.example", "v=spf1 ip6:2001:db8::1%1 -all");
        dns.txt("f.example", "v=spf1 ip4:192.0.2.0/0 -all");
        // an IPv4-mapped ip6 network is valid syntax; an IPv4 client is never in an ip6 network
        dns.txt("g.example", "v=spf1 ip6:::ffff:192.0.2.0/120 -all");
        dns.txt("h.example", "v=spf1 ip6:::ffff:192.0.2.0/120 ip4:192.0.2.1 -all");
        for (String domain : List.of("a", "b", "c", "d", "e")) {
            assertThat(check("192.0.2.1", domain + ".example")).as(domain).isEqualTo(SpfResult.PERMERROR);
        }
        assertThat(check("192.0.2.1", "f.example")).isEqualTo(SpfResult.PASS);
        assertThat(check("192.0.2.1", "g.example")).isEqualTo(SpfResult.FAIL);
        assertThat(check("192.0.2.1", "h.example")).isEqualTo(SpfResult.PASS);
    }

    @Test
    void recordSelectionVersionCaseAndSplitStrings() throws Exception {
        // RFC 7208 4.5: "v=spf1" then a space or the end (case-insensitive ABNF); 3.3: strings joined without spaces
        dns.txt("a.example", "v=spf10 +all").txt("a.example", "v=spf1x +all").txt("a.example", "V=SPF1 IP4:192.0.2.1 -ALL");
        assertThat(check("192.0.2.1", "a.example")).isEqualTo(SpfResult.PASS);
        assertThat(check("192.0.2.2", "a.example")).isEqualTo(SpfResult.FAIL);
        dns.txt("b.example", "x".repeat(300)); // one record of two strings, no SPF
        assertThat(check("192.0.2.1", "b.example")).isEqualTo(SpfResult.NONE);
        String split = "v=spf1 " + "ip4:198.51.100.1 ".repeat(14) + "ip4:192.0.2.1 -all"; // strings cut inside a term
        dns.txt("c.example", split);
        assertThat(check("192.0.2.1", "c.example")).isEqualTo(SpfResult.PASS);
    }

    @Test
    void moreThanTenMxNamesIsPermerrorAndIncludeOfAPermerrorIsPermerror() throws Exception {
        dns.txt("a.example", "v=spf1 mx ip4:192.0.2.1 -all");
        for (int i = 0; i < 11; i++) {
            dns.mx("a.example", i, "mx" + i + ".a.example").a("mx" + i + ".a.example", "198.51.100." + i);
        }
        assertThat(check("192.0.2.1", "a.example")).isEqualTo(SpfResult.PERMERROR);
        dns.txt("b.example", "v=spf1 include:bad.example ip4:192.0.2.1 -all").txt("bad.example", "v=spf1 foo -all");
        assertThat(check("192.0.2.1", "b.example")).isEqualTo(SpfResult.PERMERROR);
    }

    @Test
    void aDnsTimeoutIsTemperror() throws Exception {
        // a server that never answers: the resolver's timeout
        try (java.net.DatagramSocket silent = new java.net.DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            SpfEvaluator quiet = new SpfEvaluator(new DnsResolver(List.of("127.0.0.1:" + silent.getLocalPort()),
                    Duration.ofMillis(300)));
            assertThat(quiet.evaluate(InetAddress.getByName("192.0.2.1"), "a.example", "x@a.example", "h.example"))
                    .isEqualTo(SpfResult.TEMPERROR);
        }
    }
}
