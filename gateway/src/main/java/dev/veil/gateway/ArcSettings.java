package dev.veil.gateway;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.constraints.NotNull;

/**
 * ARC sealing ({@code arc.*}): the signing domain and selector of Veil's seal. Verifiers find the public key at
 * {@code SELECTOR._domainkey.DOMAIN} ({@code veil keys arc-dns} prints the record).
 */
public class ArcSettings {
    /** d= of the seal, e.g. your own domain; required when the pipeline has the arc-seal step. */
    @NotNull
    private String domain = "";

    /** s= of the seal. */
    @NotNull
    private String selector = "veil";

    /**
     * Whether the seal's RSA signatures are made in AWS-LC (Amazon Corretto Crypto Provider's native library, Linux on
     * x86-64) where it loads: about 1.7 times as fast as Java here. A key made while this is true has two primes, one
     * made while it is false three (the faster key for Java). false: no native code signs.
     */
    private boolean nativeSigning = true;

    /**
     * The server does not start with a pipeline that seals and no {@code arc.domain}: every seal would name no
     * domain. {@code veil check} refuses it too.
     *
     * @throws IllegalArgumentException when {@code sealing} and the domain is empty
     */
    public void requireDomainIf(boolean sealing) {
        if (sealing && domain.isBlank()) {
            throw new IllegalArgumentException("a pipeline has arc-seal but arc.domain is empty — set arc.domain to"
                    + " the domain whose DNS publishes the key (see `veil keys arc-dns`)");
        }
    }

    @JsonProperty public String getDomain() { return domain; }
    @JsonProperty public void setDomain(String v) { domain = v; }
    @JsonProperty public String getSelector() { return selector; }
    @JsonProperty public void setSelector(String v) { selector = v; }
    @JsonProperty public boolean isNativeSigning() { return nativeSigning; }
    @JsonProperty public void setNativeSigning(boolean v) { nativeSigning = v; }
}
