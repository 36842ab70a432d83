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

    @JsonProperty public String getDomain() { return domain; }
    @JsonProperty public void setDomain(String v) { domain = v; }
    @JsonProperty public String getSelector() { return selector; }
    @JsonProperty public void setSelector(String v) { selector = v; }
    @JsonProperty public boolean isNativeSigning() { return nativeSigning; }
    @JsonProperty public void setNativeSigning(boolean v) { nativeSigning = v; }
}
