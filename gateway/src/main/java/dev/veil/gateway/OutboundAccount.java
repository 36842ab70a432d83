package dev.veil.gateway;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.constraints.NotEmpty;

/**
 * One SMTP AUTH account of the outbound listener ({@code outbound.accounts[]}). The password is stored only as an
 * Argon2id hash in PHC form; {@code veil hash-password} makes one.
 */
public class OutboundAccount {
    @NotEmpty
    private String username = "";

    @NotEmpty
    private String passwordHash = "";

    @JsonProperty public String getUsername() { return username; }
    @JsonProperty public void setUsername(String v) { username = v; }
    @JsonProperty public String getPasswordHash() { return passwordHash; }
    @JsonProperty public void setPasswordHash(String v) { passwordHash = v; }
}
