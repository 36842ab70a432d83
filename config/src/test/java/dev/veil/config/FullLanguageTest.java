package dev.veil.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Period;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FullLanguageTest {

    private static final String POLICY = """
            version: 1
            organisation: Example Ltd
            domains: [example.com, "*.example.com"]
            keys:
              formats: [smime, openpgp]
              escrow: true
              ca:
                name: Example Mail CA
                validity: 5y
              smime:
                algorithm: ec-p384
                issue-user-certificates: false
              openpgp:
                algorithm: ed25519
              rotation: 18mo
              keep-old-keys: 7y
              named:
                archive:
                  format: openpgp
                  public-key: keys/archive.asc
            on-error: quarantine
            authentication:
              dmarc-failure: quarantine
            rules:
              - name: bounces
                match:
                  sender: "<>"
                  direction: inbound
                reject:
                  message: We do not accept bounces here
              - name: newsletter
                match:
                  sender: news@example.com
                  direction: outbound
                pass:
                  reason: published on the website anyway
                pseudonymise:
                  alias-domain: alias.example.net
              - name: engineering
                match:
                  recipient: "*@eng.example.com"
                encrypt:
                  format: openpgp
                  to: [recipient, escrow, archive]
                  protect-headers: [subject, keywords, X-Project]
                  subject: "..."
                pseudonymise:
                  correspondents: true
                  alias-domain: Alias.Example.NET
                  display-name: "Correspondent {token}"
              - name: everyone
                match:
                  recipient: [example.com, "*.example.com"]
                encrypt:
                  format: smime
                  to: [recipient, escrow]
            contacts:
              phones: hash
              job-title: keep
            """;

    @Test
    void everyPartOfTheLanguageLoadsIntoTheModel() {
        PolicyLoad load = PolicyLoader.parse("p.yml", POLICY);
        // engineering's recipients are pseudonymised, everyone else's are not: a message to both shows its senders
        assertThat(load.problems()).singleElement().satisfies(problem -> {
            assertThat(problem.severity()).isEqualTo(Problem.Severity.WARNING);
            assertThat(problem.message()).startsWith("rule 'engineering' (line 39) pseudonymises correspondents but"
                    + " rule 'everyone' does not");
        });
        Policy p = load.policy().orElseThrow();

        KeySettings k = p.keys();
        assertThat(k.formats()).containsExactly(Action.Format.SMIME, Action.Format.OPENPGP);
        assertThat(k.smimeAlgorithm()).isEqualTo("ec-p384");
        assertThat(k.issueUserCertificates()).isFalse();
        assertThat(k.openpgpAlgorithm()).isEqualTo("ed25519");
        assertThat(k.caName()).isEqualTo("Example Mail CA");
        assertThat(k.caValidity()).isEqualTo(Period.ofYears(5));
        assertThat(k.rotation()).isEqualTo(Period.ofMonths(18));
        assertThat(k.keepOldKeys()).contains(Period.ofYears(7));
        assertThat(k.named()).containsEntry("archive", new NamedKey("archive", Action.Format.OPENPGP, "keys/archive.asc"));
        assertThat(p.onError()).isEqualTo(OnError.QUARANTINE);

        Decision eng = p.decide(Direction.INBOUND, "x@partner.org", "dev@eng.example.com").orElseThrow();
        // already-encrypted unsaid: encrypted again, as the rule pseudonymises correspondents
        assertThat(eng.action()).isEqualTo(new Action.Encrypt(Action.Format.OPENPGP, List.of("recipient", "escrow", "archive"),
                ContentCipher.AES_256_GCM, "...", List.of("subject", "keywords", "x-project"),
                Action.AlreadyEncrypted.ENCRYPT));
        assertThat(eng.rule().pseudonymise())
                .contains(new Action.Pseudonymise(true, "alias.example.net", "Correspondent {token}"));

        Decision news = p.decide(Direction.OUTBOUND, "news@example.com", "someone@example.com").orElseThrow();
        assertThat(news.action()).isEqualTo(new Action.Pass("published on the website anyway"));
        assertThat(news.rule().pseudonymise()).contains(new Action.Pseudonymise(true, "alias.example.net", "{token}"));

        assertThat(p.decide(Direction.INBOUND, "<>", "a@example.com").orElseThrow().action())
                .isEqualTo(new Action.Reject("We do not accept bounces here"));
        assertThat(p.decide(Direction.INBOUND, "a@b.org", "a@example.com").orElseThrow().rule().pseudonymise()).isEmpty();

        assertThat(p.contacts().treatment(ContactField.PHONES)).isEqualTo(ContactTreatment.HASH);
        assertThat(p.contacts().treatment(ContactField.JOB_TITLE)).isEqualTo(ContactTreatment.KEEP);
        assertThat(p.contacts().treatment(ContactField.EMAILS)).isEqualTo(ContactTreatment.ALIAS);
        assertThat(p.authentication().dmarcFailure()).isEqualTo(AuthenticationPolicy.DmarcFailure.QUARANTINE);
        assertThat(p.contacts().aliasDomain()).as("the first pseudonymising rule's, when contacts names none")
                .isEqualTo("alias.example.net");
        assertThat(PolicyLoader.parse("p.yml", POLICY + "  alias-domain: Contacts.Example.ORG\n").policy().orElseThrow()
                .contacts().aliasDomain()).isEqualTo("contacts.example.org");
    }

    @Test
    void theOriginalConstructorsStillBuildAWorkingPolicy() {
        Rule rule = new Rule("all", 1, new Match(List.of("example.com"), List.of(), null),
                new Action.Encrypt(Action.Format.SMIME, List.of("recipient"), ContentCipher.AES_256_GCM, "[encrypted]"));
        Policy p = new Policy(1, "o", List.of("example.com"), new KeySettings(false, "rsa-3072", true), OnError.DEFER,
                List.of(rule), "policy.yml", "00");
        assertThat(p.decide(Direction.INBOUND, null, "A@EXAMPLE.COM")).contains(new Decision(rule, rule.action()));
        assertThat(p.contacts()).isEqualTo(ContactsPolicy.defaults());
        assertThat(rule.pseudonymise()).isEqualTo(Optional.empty());
        assertThat(p.explain(Direction.INBOUND, null, "a@example.com").text()).contains("=> encrypt with S/MIME");
    }
}
