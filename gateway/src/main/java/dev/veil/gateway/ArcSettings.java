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

    @JsonProperty public String getDomain() { return domain; }
    @JsonProperty public void setDomain(String v) { domain = v; }
    @JsonProperty public String getSelector() { return selector; }
    @JsonProperty public void setSelector(String v) { selector = v; }
}
